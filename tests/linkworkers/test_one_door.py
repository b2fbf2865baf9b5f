"""Each user action has one door (DESIGN.md): whichever page Carys or Llinos uses, the same
service runs and writes the same rows.

Llinos holds Glenys's case; Carys coordinates the scheme; Gwen at Afon Surgery referred her.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from linkworkers.models import ClosureSummary, Contact
from linkworkers.services import contact_log
from referrals.models import Status
from referrals.services import referral_accept
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db

CLOSE = {
    "reason": "completed", "what_mattered": "Singing again.",
    "connected_to": "Tuesday community choir.", "outcomes": "Less lonely.",
    "follow_up": "None needed.",
}  # fmt: skip


@pytest.fixture
def in_progress(case):
    case.status, case.version = Status.IN_PROGRESS, 4
    case.save()
    return case


def test_the_referral_page_offers_no_second_way_to_close_or_start(
    client, coordinator, link_worker, in_progress, case
):
    for who in (coordinator, link_worker):
        client.force_login(who)
        page = client.get(reverse("referrals:detail", args=[in_progress.uuid]))
        assert "close" not in page.context["forms"] and "start" not in page.context["forms"]
        assert reverse("linkworkers:close", args=[in_progress.uuid]) in page.content.decode()
        for action in ("close", "start"):
            url = reverse("referrals:action", args=[in_progress.uuid, action])
            assert client.post(url, {f"{action}-version": 4}).status_code == 404
    in_progress.refresh_from_db()
    assert in_progress.status == Status.IN_PROGRESS


@pytest.mark.parametrize("who", ["coordinator", "link_worker"])
def test_closing_from_any_page_writes_the_summary_and_the_audit_row(
    client, people, in_progress, who
):
    client.force_login(people[who])
    data = {"version": str(in_progress.version), **CLOSE}
    client.post(reverse("linkworkers:close", args=[in_progress.uuid]), data)
    in_progress.refresh_from_db()
    assert in_progress.status == Status.CLOSED
    assert ClosureSummary.objects.filter(referral=in_progress, written_by=people[who]).exists()
    audit = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (audit.actor, audit.object_id, audit.detail) == (
        people[who], str(in_progress.uuid), "closed: completed",
    )  # fmt: skip


def test_every_transition_writes_its_own_audit_row(coordinator, scheme):
    referral = ReferralFactory(scheme=scheme)
    referral_accept(referral=referral, actor=coordinator)
    audit = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (audit.actor, audit.detail) == (coordinator, "received -> accepted")


def test_first_contact_is_the_contact_and_its_time_is_kept(link_worker, case):
    happened = timezone.now() - timedelta(hours=3)
    contact_log(referral=case, actor=link_worker, happened_at=happened, mode="phone",
                outcome="reached", minutes=20)  # fmt: skip
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert case.first_contact_at == happened
    assert Contact.objects.filter(referral=case, outcome="reached").count() == 1
    assert AuditEvent.objects.filter(detail="allocated -> in_progress").count() == 1


def test_a_contact_recorded_before_it_happened_cannot_move_the_milestone_into_the_future(
    link_worker, case
):
    contact_log(referral=case, actor=link_worker, happened_at=timezone.now(), mode="phone",
                outcome="reached", minutes=5)  # fmt: skip
    case.refresh_from_db()
    assert case.first_contact_at <= timezone.now()
