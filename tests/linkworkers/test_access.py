"""Who may open which case page (DESIGN.md, Who may see what). Out of scope answers 404."""

import uuid

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from linkworkers.models import Contact, Goal, WhatMatters
from referrals.models import Status
from tests.factories import GoalFactory, ReferralFactory

pytestmark = pytest.mark.django_db

CASE_PAGES = ["linkworkers:case", "linkworkers:what_matters", "linkworkers:close"]
# Glenys's case, allocated to Llinos: who may open its pages?
CASE = {
    "link_worker": 200,
    "other_link_worker": 404,
    "coordinator": 200,
    "referrer": 404,
    "outsider_referrer": 404,
    "outsider_coordinator": 404,
    "provider": 404,
    "commissioner": 404,
}
CASELOAD = {
    "link_worker": 200,
    "other_link_worker": 200,
    "coordinator": 200,
    "referrer": 403,
    "outsider_referrer": 403,
    "outsider_coordinator": 200,
    "provider": 403,
    "commissioner": 403,
}
WRITES = [  # (url name, data) posted by someone who may not write
    ("linkworkers:contact_log", {"happened_at": "2026-01-05T10:00", "mode": "phone",
                                 "outcome": "reached", "minutes": "5"}),
    ("linkworkers:what_matters", {"version": "0", "what_matters": "Singing"}),
    ("linkworkers:goal_add", {"goal-description": "Join a choir"}),
    ("linkworkers:close", {"version": "3", "reason": "completed", "what_mattered": "Singing",
                           "follow_up": "None needed."}),
    ("linkworkers:reopen", {"version": "3"}),
]  # fmt: skip


@pytest.mark.parametrize("page", CASE_PAGES)
@pytest.mark.parametrize(("who", "status"), CASE.items())
def test_each_case_page(client, people, case, page, who, status):
    client.force_login(people[who])
    assert client.get(reverse(page, args=[case.uuid])).status_code == status


@pytest.mark.parametrize(("who", "status"), CASELOAD.items())
def test_the_caseload_page(client, people, case, who, status):
    client.force_login(people[who])
    response = client.get(reverse("linkworkers:caseload"))
    assert response.status_code == status
    if status == 200:
        shown = [row.referral for row in response.context["caseload"].rows]
        assert (case in shown) == (who in ("link_worker", "coordinator"))


def test_signed_out_people_are_sent_to_sign_in(client, case):
    for url in [reverse("linkworkers:caseload"), reverse("linkworkers:case", args=[case.uuid])]:
        assert client.get(url).url.startswith(reverse("accounts:login"))


def test_an_unknown_case_is_404(client, people):
    client.force_login(people["coordinator"])
    assert client.get(reverse("linkworkers:case", args=[uuid.uuid4()])).status_code == 404


def test_a_referral_in_the_unallocated_queue_is_not_a_case(client, people, scheme):
    queued = ReferralFactory(scheme=scheme, status=Status.ACCEPTED)
    client.force_login(people["link_worker"])
    assert client.get(reverse("referrals:detail", args=[queued.uuid])).status_code == 200
    assert client.get(reverse("linkworkers:case", args=[queued.uuid])).status_code == 404


def test_a_link_worker_keeps_seeing_a_case_they_closed(client, people, case):
    case.status = Status.CLOSED
    case.save()
    client.force_login(people["link_worker"])
    assert client.get(reverse("linkworkers:close", args=[case.uuid])).status_code == 200


@pytest.mark.parametrize("page", CASE_PAGES)
def test_every_read_is_audited(client, people, case, page):
    client.force_login(people["coordinator"])
    client.get(reverse(page, args=[case.uuid]))
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.actor, event.object_type, event.object_id) == (
        people["coordinator"], "referrals.person", str(case.person.uuid),
    )  # fmt: skip
    assert case.reference in event.detail


def test_reading_the_caseload_is_audited(client, people, case):
    client.force_login(people["link_worker"])
    client.get(reverse("linkworkers:caseload"))
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert event.actor == people["link_worker"] and "1 of 1 open cases" in event.detail


def _nothing_written(case):
    case.refresh_from_db()
    return (
        case.status == Status.ALLOCATED
        and case.version == 3
        and not Contact.objects.exists()
        and not WhatMatters.objects.exists()
        and not Goal.objects.exists()
        and not case.events.exists()
    )


@pytest.mark.parametrize(("name", "data"), WRITES)
@pytest.mark.parametrize(
    "who", ["other_link_worker", "referrer", "outsider_referrer", "outsider_coordinator",
            "provider", "commissioner"],
)  # fmt: skip
def test_writes_by_people_outside_the_case_answer_404_and_change_nothing(
    client, people, case, name, data, who
):
    client.force_login(people[who])
    assert client.post(reverse(name, args=[case.uuid]), data).status_code == 404
    assert _nothing_written(case)


def test_a_goal_update_by_an_outsider_is_404(client, people, case):
    goal = GoalFactory(referral=case)
    client.force_login(people["other_link_worker"])
    url = reverse("linkworkers:goal_update", args=[case.uuid, goal.uuid])
    assert client.post(url, {f"{goal.uuid}-status": "achieved"}).status_code == 404
    goal.refresh_from_db()
    assert goal.status == "not_started"


def test_a_goal_of_another_case_is_404(client, people, case, link_worker, scheme):
    other = GoalFactory(referral=ReferralFactory(scheme=scheme, status=Status.IN_PROGRESS,
                                                 link_worker=link_worker))  # fmt: skip
    client.force_login(link_worker)
    url = reverse("linkworkers:goal_update", args=[case.uuid, other.uuid])
    assert client.post(url, {f"{other.uuid}-status": "achieved"}).status_code == 404


@pytest.mark.parametrize(("name", "data"), WRITES[:3])
def test_the_coordinator_reads_but_does_not_write_the_conversation(
    client, people, case, name, data
):
    client.force_login(people["coordinator"])
    assert client.post(reverse(name, args=[case.uuid]), data).status_code == 403
    assert _nothing_written(case)
