"""The link workers' lists write one audit row naming the people on them.

Llinos's caseload, Carys's waiting list, team and supervision pages, Siân's and
Prys's home pages: each answer is one row, naming each person it showed.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from linkworkers.models import SupervisionNote
from referrals.models import Status
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def read_by(user):
    return AuditEvent.objects.filter(actor=user, action=AuditEvent.Action.VIEW)


def named(event):
    return {subject.person_uuid for subject in event.subjects.all()}


@pytest.fixture
def waiting(scheme, cluster, gp):
    """Huw, accepted and waiting for a link worker."""
    return ReferralFactory(
        referring_user=gp, referring_organisation=gp.organisation, scheme=scheme, area=cluster,
        status=Status.ACCEPTED, person__given_name="Huw",
    )  # fmt: skip


@pytest.mark.parametrize(("who", "page"), [
    ("link_worker", "linkworkers:caseload"),
    ("coordinator", "linkworkers:caseload"),
    ("link_worker", "home"),
])  # fmt: skip
def test_the_caseload_names_everyone_on_it(request, client, case, who, page):
    user = request.getfixturevalue(who)
    client.force_login(user)
    client.get(reverse(page))
    event = read_by(user).get()
    assert named(event) == {case.person.uuid}
    assert event.records == [case.reference]


def test_the_waiting_list_names_everyone_waiting(client, coordinator, case, waiting):
    client.force_login(coordinator)
    client.get(reverse("linkworkers:waiting"))
    event = read_by(coordinator).get()
    assert event.detail == "waiting list: 2 referrals"
    assert named(event) == {case.person.uuid, waiting.person.uuid}


def test_the_team_page_counts_cases_and_names_no_one(client, coordinator, case):
    client.force_login(coordinator)
    client.get(reverse("linkworkers:team"))
    event = read_by(coordinator).get()
    assert event.detail == "team: 1 link workers"
    assert not event.subjects.exists()


def test_supervision_names_the_people_of_the_notes_and_the_cases_to_choose(
    client, coordinator, link_worker, case, scheme
):
    held = ReferralFactory(scheme=scheme, status=Status.CLOSED, link_worker=link_worker)
    SupervisionNote.objects.create(link_worker=link_worker, referral=case, author=coordinator,
                                   text="Going well.", created_at=timezone.now())  # fmt: skip
    client.force_login(coordinator)
    client.get(reverse("linkworkers:supervision_for", args=[link_worker.uuid]))
    event = read_by(coordinator).get()
    assert named(event) == {case.person.uuid, held.person.uuid}


def test_the_allocation_page_is_a_read_of_the_person(client, coordinator, waiting):
    client.force_login(coordinator)
    client.get(reverse("linkworkers:allocate", args=[waiting.uuid]))
    event = read_by(coordinator).get()
    assert named(event) == {waiting.person.uuid}
    assert event.records == [waiting.reference]


def test_a_peer_navigators_home_names_her_cases(client, peer_navigator, attached, case):
    client.force_login(peer_navigator)
    client.get(reverse("home"))
    assert named(read_by(peer_navigator).get()) == {case.person.uuid}


@pytest.mark.parametrize("page", ["providers:connections", "home"])
def test_a_providers_pages_name_the_people_referred(client, prys, referred, page):
    client.force_login(prys)
    client.get(reverse(page))
    event = read_by(prys).get()
    assert named(event) == {referred.referral.person.uuid}
    assert event.records == [referred.referral.reference]


def test_the_outcomes_page_names_the_record(client, link_worker, case):
    client.force_login(link_worker)
    client.get(reverse("linkworkers:outcomes", args=[case.uuid]))
    event = read_by(link_worker).get()
    assert (named(event), event.records) == ({case.person.uuid}, [case.reference])
