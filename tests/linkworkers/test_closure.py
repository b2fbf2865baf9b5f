"""Llinos closes Glenys's case with the message back to Gwen, and can reopen it within 90 days."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from core.models import OutboxEmail
from linkworkers.models import ClosureSummary
from linkworkers.services import closure_summary_compose
from referrals.models import Notification, ReferralEvent, Status
from tests.factories import GoalFactory, WhatMattersFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(case):
    case.status, case.version = Status.IN_PROGRESS, 4
    case.save()
    return case


def _close(client, case, **overrides):
    data = {"version": str(case.version), "reason": "completed",
            "what_mattered": "Singing again.", "connected_to": "Tuesday community choir.",
            "outcomes": "Feels less lonely.", "follow_up": "None needed."}  # fmt: skip
    data.update(overrides)
    return client.post(reverse("linkworkers:close", args=[case.uuid]), data)


def test_she_closes_the_case_with_a_summary(client, link_worker, case):
    client.force_login(link_worker)
    response = _close(client, case)
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.closure_reason) == (Status.CLOSED, "completed")
    assert case.closure_summary == (
        "What mattered to them:\nSinging again.\n\n"
        "What they were connected to:\nTuesday community choir.\n\n"
        "Outcomes:\nFeels less lonely.\n\n"
        "Follow-up advice:\nNone needed."
    )
    parts = ClosureSummary.objects.get(referral=case)
    assert (parts.reason, parts.connected_to, parts.written_by) == (
        "completed", "Tuesday community choir.", link_worker,
    )  # fmt: skip


def test_the_referrer_is_told_and_sees_the_summary(client, link_worker, case, gp):
    client.force_login(link_worker)
    _close(client, case)
    assert "has been closed" in Notification.objects.get(recipient=gp).message
    assert OutboxEmail.objects.filter(to=gp.email).exists()
    client.force_login(gp)
    html = client.get(reverse("referrals:detail", args=[case.uuid])).content.decode()
    assert "Tuesday community choir." in html


def test_the_timeline_and_audit_record_the_closure(client, link_worker, case):
    client.force_login(link_worker)
    _close(client, case)
    event = ReferralEvent.objects.get(kind="status")
    assert (event.to_status, event.visible_to_referrer) == ("closed", True)
    assert "Singing again." in event.note
    assert AuditEvent.objects.get(action=AuditEvent.Action.CHANGE).detail == "closed: completed"


def test_the_summary_is_written_in_the_referrers_language(client, link_worker, case, gp):
    gp.preferred_language = "cy"
    gp.save()
    client.force_login(link_worker)
    _close(client, case, what_mattered="Canu.")
    case.refresh_from_db()
    assert case.closure_summary.startswith("Beth oedd yn bwysig iddyn nhw:\nCanu.")


def test_empty_parts_are_left_out(gp):
    summary = closure_summary_compose(parts={"what_mattered": "Canu.", "outcomes": "  "},
                                      language="en")  # fmt: skip
    assert summary == "What mattered to them:\nCanu."


def test_the_coordinator_may_close_it_too(client, coordinator, case):
    client.force_login(coordinator)
    assert _close(client, case).status_code == 302
    case.refresh_from_db()
    assert case.status == Status.CLOSED


def test_the_form_starts_from_what_matters_and_achieved_goals(client, link_worker, case):
    WhatMattersFactory(referral=case, updated_by=link_worker, what_matters="Her garden.")
    GoalFactory(referral=case, description="Join the allotment group", status="achieved")
    GoalFactory(referral=case, description="Walk daily", status="stopped")
    client.force_login(link_worker)
    form = client.get(reverse("linkworkers:close", args=[case.uuid])).context["form"]
    assert form.initial["what_mattered"] == "Her garden."
    assert form.initial["outcomes"] == "Join the allotment group"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reason", "", "This field is required."),
        ("reason", "bored", "Select a valid choice."),
        ("what_mattered", "", "This field is required."),
        ("follow_up", "", "This field is required."),
        ("outcomes", "x" * 451, "at most 450 characters"),
        ("connected_to", "x" * 451, "at most 450 characters"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    client, link_worker, case, field, value, message
):
    client.force_login(link_worker)
    response = _close(client, case, **{field: value})
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert not ClosureSummary.objects.exists() and not case.events.exists()


def test_a_stale_close_is_refused(client, link_worker, case):
    client.force_login(link_worker)
    response = _close(client, case, version="3")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and not ClosureSummary.objects.exists()
    page = client.get(response.url)
    assert "changed by someone else" in page.content.decode()


def test_close_rejects_put(client, link_worker, case):
    client.force_login(link_worker)
    assert client.put(reverse("linkworkers:close", args=[case.uuid])).status_code == 405


# Reopening ------------------------------------------------------------------


def _closed(client, case, days_ago=0):
    _close(client, case)
    case.refresh_from_db()
    case.closed_at = timezone.now() - timedelta(days=days_ago)
    case.save()
    return case


def test_she_reopens_within_90_days(client, link_worker, case):
    client.force_login(link_worker)
    case = _closed(client, case, days_ago=89)
    url = reverse("linkworkers:reopen", args=[case.uuid])
    response = client.post(url, {"version": case.version, "note": "Glenys rang back."})
    assert response.url == reverse("linkworkers:case", args=[case.uuid])
    case.refresh_from_db()
    assert (case.status, case.closure_summary) == (Status.IN_PROGRESS, "")
    assert ClosureSummary.objects.filter(referral=case).exists()  # history kept
    assert case.events.filter(kind="note", note="Glenys rang back.").exists()


def test_not_after_90_days(client, link_worker, case):
    client.force_login(link_worker)
    case = _closed(client, case, days_ago=91)
    assert client.get(reverse("linkworkers:close", args=[case.uuid])).context["reopen_form"] is None
    response = client.post(reverse("linkworkers:reopen", args=[case.uuid]),
                           {"version": case.version}, follow=True)  # fmt: skip
    assert "only within 90 days" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.CLOSED


def test_reopen_rejects_get(client, link_worker, case):
    client.force_login(link_worker)
    assert client.get(reverse("linkworkers:reopen", args=[case.uuid])).status_code == 405


def test_reopen_with_a_missing_version_names_the_field(client, link_worker, case):
    client.force_login(link_worker)
    case = _closed(client, case)
    response = client.post(reverse("linkworkers:reopen", args=[case.uuid]), {"version": ""})
    assert "version" in response.context["reopen_form"].errors
    case.refresh_from_db()
    assert case.status == Status.CLOSED
