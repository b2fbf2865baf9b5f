"""Llinos records what matters to Glenys, in her words, and the plan they agree."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from core.exceptions import StaleVersion
from linkworkers import services
from linkworkers.models import Goal, WhatMatters
from referrals.models import Status
from tests.factories import GoalFactory, WhatMattersFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(case):
    case.status = Status.IN_PROGRESS
    case.save()
    return case


def _save(client, case, **overrides):
    data = {
        "version": "0",
        "what_matters": "Singing again, like in chapel.",
        "strengths": "Knows everyone in the village.",
        "want_to_change": "Get out more.",
    }
    data.update(overrides)
    return client.post(reverse("linkworkers:what_matters", args=[case.uuid]), data)


def test_she_records_what_matters(client, link_worker, case):
    client.force_login(link_worker)
    response = _save(client, case)
    assert response.status_code == 302
    record = WhatMatters.objects.get(referral=case)
    assert (record.what_matters, record.version, record.updated_by) == (
        "Singing again, like in chapel.", 1, link_worker,
    )  # fmt: skip
    assert case.events.get().note == "What matters recorded."
    assert AuditEvent.objects.get(action=AuditEvent.Action.CHANGE).actor == link_worker


def test_she_updates_it_against_the_version_she_read(client, link_worker, case):
    client.force_login(link_worker)
    _save(client, case)
    _save(client, case, version="1", what_matters="Singing, and the allotment.")
    record = WhatMatters.objects.get()
    assert (record.what_matters, record.version) == ("Singing, and the allotment.", 2)


def test_a_stale_edit_is_refused_and_overwrites_nothing(client, link_worker, case):
    WhatMattersFactory(referral=case, updated_by=link_worker, version=2,
                       what_matters="Saved meanwhile.")  # fmt: skip
    client.force_login(link_worker)
    response = _save(client, case, version="1", what_matters="My older edit.")
    assert response.status_code == 200
    assert (
        "Someone saved what matters for this person while you were editing it"
        in (response.context["stale"])
    )
    assert WhatMatters.objects.get().what_matters == "Saved meanwhile."
    # What she typed is kept, now against the version she has seen.
    assert response.context["form"]["what_matters"].value() == "My older edit."
    assert int(response.context["form"]["version"].value()) == 2


def test_a_first_save_racing_another_is_stale(link_worker, case):
    WhatMattersFactory(referral=case, updated_by=link_worker)
    with pytest.raises(StaleVersion):
        services.what_matters_save(referral=case, actor=link_worker, expected_version=0,
                                   what_matters="Me too")  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("what_matters", "", "This field is required."),
        ("what_matters", "x" * 2001, "at most 2000 characters"),
        ("strengths", "x" * 2001, "at most 2000 characters"),
        ("version", "", "This field is required."),
    ],
)
def test_bad_input_names_the_field(client, link_worker, case, field, value, message):
    client.force_login(link_worker)
    response = _save(client, case, **{field: value})
    assert message in str(response.context["form"].errors[field])
    assert not WhatMatters.objects.exists() and not case.events.exists()


def test_blank_words_are_refused_by_the_service(link_worker, case):
    from core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.what_matters_save(referral=case, actor=link_worker, expected_version=0,
                                   what_matters="   ")  # fmt: skip
    assert error.value.field_errors == {
        "what_matters": ["Write what matters to the person, in their words."]
    }


def test_what_matters_rejects_put(client, link_worker, case):
    client.force_login(link_worker)
    assert client.put(reverse("linkworkers:what_matters", args=[case.uuid])).status_code == 405


# The plan ----------------------------------------------------------------------


def _add(client, case, **overrides):
    data = {"goal-description": "Go to the Tuesday choir", "goal-target_date": ""}
    data.update({f"goal-{k}": v for k, v in overrides.items()})
    return client.post(reverse("linkworkers:goal_add", args=[case.uuid]), data)


def test_she_adds_a_goal(client, link_worker, case):
    client.force_login(link_worker)
    target = timezone.localdate() + timedelta(days=30)
    assert _add(client, case, target_date=target.isoformat()).status_code == 302
    goal = Goal.objects.get()
    assert (goal.description, goal.status, goal.target_date) == (
        "Go to the Tuesday choir", "not_started", target,
    )  # fmt: skip
    assert case.events.get().note == "Goal agreed: Go to the Tuesday choir"
    assert AuditEvent.objects.get(action=AuditEvent.Action.CREATE).object_type == "linkworkers.goal"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("description", "", "This field is required."),
        ("description", "x" * 301, "at most 300 characters"),
        ("target_date", "soon", "Enter a valid date."),
        ("target_date", "2020-01-01", "Choose a target date that is today or later."),
    ],
)
def test_a_bad_goal_names_the_field(client, link_worker, case, field, value, message):
    client.force_login(link_worker)
    response = _add(client, case, **{field: value})
    assert response.status_code == 200
    assert message in str(response.context["goal_form"].errors[field])
    assert not Goal.objects.exists() and not case.events.exists()


def test_adding_a_goal_rejects_get(client, link_worker, case):
    client.force_login(link_worker)
    assert client.get(reverse("linkworkers:goal_add", args=[case.uuid])).status_code == 405


def _update(client, case, goal, **data):
    url = reverse("linkworkers:goal_update", args=[case.uuid, goal.uuid])
    return client.post(url, {f"{goal.uuid}-{k}": v for k, v in data.items()})


def test_she_records_progress_and_achievement(client, link_worker, case):
    goal = GoalFactory(referral=case, description="Go to the Tuesday choir")
    client.force_login(link_worker)
    response = _update(client, case, goal, status="achieved", progress_notes="Went twice.")
    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.status, goal.progress_notes) == ("achieved", "Went twice.")
    assert case.events.get().note == "Goal achieved: Go to the Tuesday choir"
    assert AuditEvent.objects.get(action=AuditEvent.Action.CHANGE).object_id == str(goal.uuid)


def test_progress_without_a_status_change_adds_no_timeline_entry(client, link_worker, case):
    goal = GoalFactory(referral=case)
    client.force_login(link_worker)
    _update(client, case, goal, status="not_started", progress_notes="Thinking about it.")
    assert not case.events.exists()


def test_a_bad_update_names_the_field(client, link_worker, case):
    goal = GoalFactory(referral=case)
    client.force_login(link_worker)
    response = _update(client, case, goal, status="finished")
    assert response.status_code == 200
    forms = dict(response.context["goals"])
    assert "Select a valid choice." in str(forms[goal].errors["status"])
    goal.refresh_from_db()
    assert goal.status == "not_started"


def test_updating_a_goal_rejects_get(client, link_worker, case):
    goal = GoalFactory(referral=case)
    client.force_login(link_worker)
    url = reverse("linkworkers:goal_update", args=[case.uuid, goal.uuid])
    assert client.get(url).status_code == 405


def test_the_plan_is_read_only_for_the_coordinator(client, coordinator, case):
    GoalFactory(referral=case, description="Walk to the shop", progress_notes="Twice a week.")
    client.force_login(coordinator)
    html = client.get(reverse("linkworkers:what_matters", args=[case.uuid])).content.decode()
    assert "Walk to the shop" in html and "Twice a week." in html
    assert "Add a goal" not in html
