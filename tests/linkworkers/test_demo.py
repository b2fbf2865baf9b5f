"""The demo link worker's caseload looks like a working week."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from linkworkers.models import (
    Connection,
    Contact,
    Goal,
    PeerNavigatorAssignment,
    SupervisionNote,
    WhatMatters,
)
from linkworkers.selectors import (
    caseload_for,
    connections_for_provider,
    contacts_for,
    peer_case_list_for,
    unable_to_contact_due,
)
from referrals.models import ReferralEvent, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def llinos(demo_data, settings):
    settings.DEBUG = True  # for the tests that run seed_demo again
    return User.objects.get(username="linkworker")


def test_her_cases_are_at_every_stage_with_work_due(llinos):
    caseload = caseload_for(llinos)
    statuses = {row.referral.status for row in caseload.rows}
    assert statuses == {Status.ALLOCATED, Status.IN_PROGRESS, Status.ON_HOLD}
    assert 0 < caseload.overdue < caseload.open_cases
    kinds = {item.kind for row in caseload.rows for item in row.due}
    # The demo provider still owes an answer on one of her referrals to a service.
    assert {"first_contact", "follow_up", "review", "goal", "connection"} <= kinds


def test_she_has_contacts_conversations_and_plans(llinos):
    assert Contact.objects.filter(recorded_by=llinos).count() >= 10
    assert WhatMatters.objects.filter(updated_by=llinos).exists()
    assert Goal.objects.filter(created_by=llinos, status="achieved").exists()
    assert ReferralEvent.objects.filter(kind="contact", actor=llinos).exists()


def test_one_person_has_not_answered_for_over_a_week(llinos):
    proposed = [
        row.referral
        for row in caseload_for(llinos).rows
        if unable_to_contact_due(contacts_for(row.referral))
    ]
    assert len(proposed) == 1 and proposed[0].status == Status.ALLOCATED


def test_running_it_twice_adds_nothing(llinos):
    counts = (Contact.objects.count(), WhatMatters.objects.count(), Goal.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Contact.objects.count(), WhatMatters.objects.count(), Goal.objects.count()) == counts


def test_the_demo_peer_navigator_is_on_two_of_her_cases(llinos):
    peer = User.objects.get(username="peernavigator")
    assert peer.check_password("demo")
    assert peer_case_list_for(peer).filter(link_worker=llinos).count() == 2
    assert SupervisionNote.objects.filter(link_worker=llinos).count() == 3


def test_the_coordination_demo_runs_twice(llinos):
    call_command("seed_demo", stdout=StringIO())
    assert PeerNavigatorAssignment.objects.count() == 2
    assert SupervisionNote.objects.count() == 3


def test_the_demo_provider_has_a_referral_to_answer(llinos):
    provider = User.objects.get(username="provider")
    statuses = set(connections_for_provider(provider).values_list("status", flat=True))
    assert {"referred", "attending"} <= statuses
    assert Connection.objects.filter(created_by=llinos, status="proposed").exists()
