"""Issue 16, point 1: nothing typed on the "what matters" tab is lost when "Add goal" is pressed.

The tab is one form: "Save" and "Add goal" both save every part that changed, in one
transaction, and a refused part keeps everything typed on the page, saving nothing.
"""

import pytest
from django.urls import reverse

from linkworkers.models import Goal, GoalStatus, WhatMatters
from referrals.models import Status
from tests.factories import GoalFactory, WhatMattersFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(case):
    case.status = Status.IN_PROGRESS
    case.save()
    return case


def _post(client, case, **data):
    return client.post(reverse("linkworkers:what_matters", args=[case.uuid]), data)


def test_add_goal_saves_what_was_typed_in_what_matters_too(client, link_worker, case):
    client.force_login(link_worker)
    response = _post(
        client, case, version="0", what_matters="Singing again.", strengths="", want_to_change="",
        **{"goal-description": "Join the choir", "add_goal": ""},
    )  # fmt: skip
    assert response.status_code == 302
    assert WhatMatters.objects.get(referral=case).what_matters == "Singing again."
    assert Goal.objects.get(referral=case).description == "Join the choir"


def test_a_goal_may_be_added_before_anything_is_written(client, link_worker, case):
    client.force_login(link_worker)
    response = _post(client, case, version="0", what_matters="", **{"goal-description": "Walk"})
    assert response.status_code == 302
    assert not WhatMatters.objects.exists()
    assert Goal.objects.get().description == "Walk"


def test_an_unchanged_record_is_not_saved_again(client, link_worker, case):
    WhatMattersFactory(referral=case, updated_by=link_worker, version=4, what_matters="Same.",
                       strengths="", want_to_change="")  # fmt: skip
    client.force_login(link_worker)
    _post(client, case, version="4", what_matters="Same.", **{"goal-description": "Walk"})
    assert WhatMatters.objects.get().version == 4
    assert Goal.objects.count() == 1


def test_goal_progress_is_saved_with_the_rest(client, link_worker, case):
    goal = GoalFactory(referral=case, created_by=link_worker)
    client.force_login(link_worker)
    progress = {f"{goal.uuid}-status": GoalStatus.ACHIEVED, f"{goal.uuid}-progress_notes": "Went."}
    response = _post(client, case, version="0", what_matters="Singing.", **progress)
    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.status, goal.progress_notes) == (GoalStatus.ACHIEVED, "Went.")
    assert WhatMatters.objects.get().what_matters == "Singing."


def test_a_refused_goal_keeps_everything_typed_and_saves_nothing(client, link_worker, case):
    client.force_login(link_worker)
    response = _post(
        client, case, version="0", what_matters="Words I typed.",
        **{"goal-description": "x" * 400, "add_goal": ""},
    )  # fmt: skip
    assert response.status_code == 200
    body = response.content.decode()
    assert "Words I typed." in body
    assert 'name="goal-description"' in body and "x" * 300 in body
    assert not WhatMatters.objects.exists()
    assert not Goal.objects.exists()


def test_a_refusal_by_the_service_rolls_back_the_parts_saved(client, link_worker, case):
    client.force_login(link_worker)
    # A target date in the past passes the form and is refused by goal_add.
    response = _post(
        client, case, version="0", what_matters="Words I typed.",
        **{"goal-description": "Walk", "goal-target_date": "2001-01-01", "add_goal": ""},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Choose a target date that is today or later." in response.content.decode()
    assert "Words I typed." in response.content.decode()
    assert not WhatMatters.objects.exists()


def test_add_goal_with_no_goal_names_the_field(client, link_worker, case):
    client.force_login(link_worker)
    response = _post(client, case, version="0", what_matters="Kept.", add_goal="")
    assert response.status_code == 200
    assert "Kept." in response.content.decode()
    assert not WhatMatters.objects.exists()


def test_the_page_is_one_form(client, link_worker, case):
    GoalFactory(referral=case, created_by=link_worker)
    client.force_login(link_worker)
    body = client.get(reverse("linkworkers:what_matters", args=[case.uuid])).content.decode()
    assert (
        body.count("<form")
        - body.count('action="/accounts/logout/"')
        - body.count('action="/i18n/setlang/"')
        - body.count('role="search"')  # the header's person search
        == 1
    )
    assert 'name="add_goal"' in body


def test_an_outsider_gets_404(client, outsider_coordinator, case):
    client.force_login(outsider_coordinator)
    assert _post(client, case, version="0", what_matters="x").status_code == 404


def test_saving_with_no_goal_typed_shows_no_goal_error(client, link_worker, case):
    client.force_login(link_worker)
    response = _post(client, case, version="0", what_matters="x" * 3000)
    assert response.status_code == 200
    body = response.content.decode()
    assert "This field is required" not in body
    assert not WhatMatters.objects.exists()
