"""Siân, a peer navigator, on Glenys's case: the contacts and the plan, nothing more."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Role
from linkworkers.models import Contact, PeerNavigatorAssignment
from referrals.models import ReferralEvent, Status
from tests.factories import (
    ContactFactory,
    GoalFactory,
    OutcomeMeasureFactory,
    UserFactory,
    WhatMattersFactory,
)

pytestmark = pytest.mark.django_db


def _add(client, case, who):
    return client.post(
        reverse("linkworkers:peer_navigator_add", args=[case.uuid]),
        {"peer_navigator": str(who.uuid)},
    )


def test_the_link_worker_attaches_a_peer_navigator(client, link_worker, case, peer_navigator):
    client.force_login(link_worker)
    assert _add(client, case, peer_navigator).status_code == 302
    assignment = PeerNavigatorAssignment.objects.get()
    assert (assignment.user, assignment.added_by, assignment.active) == (
        peer_navigator, link_worker, True,
    )  # fmt: skip
    event = ReferralEvent.objects.get(referral=case, kind=ReferralEvent.Kind.NOTE)
    assert event.note == "Peer navigator Siân Hughes added to the case."
    assert not event.visible_to_referrer
    assert AuditEvent.objects.filter(actor=link_worker, detail__contains="peer navigator").exists()


def test_the_coordinator_attaches_one_too(client, coordinator, case, peer_navigator):
    client.force_login(coordinator)
    assert _add(client, case, peer_navigator).status_code == 302
    assert PeerNavigatorAssignment.objects.filter(referral=case, active=True).count() == 1


def test_it_rejects_get(client, link_worker, case):
    client.force_login(link_worker)
    url = reverse("linkworkers:peer_navigator_add", args=[case.uuid])
    assert client.get(url).status_code == 405


def test_another_link_worker_gets_404(client, other_link_worker, case, peer_navigator):
    client.force_login(other_link_worker)
    assert _add(client, case, peer_navigator).status_code == 404
    assert not PeerNavigatorAssignment.objects.exists()


def test_only_a_peer_navigator_of_the_scheme_can_be_attached(client, link_worker, case,
                                                            outsider_coordinator):  # fmt: skip
    stranger = UserFactory(role=Role.PEER_NAVIGATOR, organisation=outsider_coordinator.organisation)
    client.force_login(link_worker)
    response = _add(client, case, stranger)
    assert response.status_code == 400
    assert "peer_navigator" in response.context["peer_form"].errors
    assert not PeerNavigatorAssignment.objects.exists()


def test_the_peer_navigator_sees_contacts_and_plan_only(client, attached, case, link_worker,
                                                        peer_navigator):  # fmt: skip
    ContactFactory(referral=case, recorded_by=link_worker, notes="Private: sounded tearful.")
    ContactFactory(referral=case, recorded_by=peer_navigator, notes="Walked to the café.")
    GoalFactory(referral=case, description="Join the Tuesday choir")
    WhatMattersFactory(referral=case, what_matters="Misses her late husband.")
    OutcomeMeasureFactory(referral=case)
    client.force_login(peer_navigator)
    response = client.get(reverse("linkworkers:peer_case", args=[case.uuid]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Join the Tuesday choir" in page
    assert "Walked to the café." in page
    assert "sounded tearful" not in page
    assert "Misses her late husband" not in page
    assert AuditEvent.objects.filter(actor=peer_navigator, action=AuditEvent.Action.VIEW).exists()


def test_the_peer_navigator_logs_their_own_contact(client, attached, case, peer_navigator):
    client.force_login(peer_navigator)
    response = client.post(
        reverse("linkworkers:peer_case", args=[case.uuid]),
        {"happened_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "mode": "face_to_face",
         "outcome": "reached", "minutes": "60", "notes": "Coffee in town."},
    )  # fmt: skip
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.recorded_by == peer_navigator
    case.refresh_from_db()
    # First contact is the link worker's to make: the case stays allocated.
    assert case.status == Status.ALLOCATED


def test_a_bad_contact_is_refused_by_name(client, attached, case, peer_navigator):
    client.force_login(peer_navigator)
    response = client.post(reverse("linkworkers:peer_case", args=[case.uuid]),
                           {"mode": "phone", "outcome": "reached", "minutes": "5"})  # fmt: skip
    assert response.status_code == 400
    assert "happened_at" in response.context["contact_form"].errors
    assert not Contact.objects.exists()


def test_a_peer_navigator_not_attached_gets_404(client, case, other_peer_navigator, attached):
    client.force_login(other_peer_navigator)
    assert client.get(reverse("linkworkers:peer_case", args=[case.uuid])).status_code == 404


def test_once_removed_the_case_is_gone(client, attached, case, link_worker, peer_navigator):
    client.force_login(link_worker)
    url = reverse("linkworkers:peer_navigator_remove", args=[case.uuid, peer_navigator.uuid])
    assert client.post(url).status_code == 302
    client.force_login(peer_navigator)
    assert client.get(reverse("linkworkers:peer_case", args=[case.uuid])).status_code == 404


def test_the_home_page_lists_their_cases(client, attached, case, peer_navigator):
    client.force_login(peer_navigator)
    page = client.get(reverse("home")).content.decode()
    assert reverse("linkworkers:peer_case", args=[case.uuid]) in page
    assert "Glenys" in page
