"""A link worker records a baseline ONS4 for one of their cases, then a review, and sees
the change."""

import re
from importlib import import_module

from django.apps import apps
from playwright.sync_api import expect

from referrals.models import Referral
from tests.e2e.conftest import sign_in

ONS4 = [
    "Overall, how satisfied are you with your life nowadays?",
    "Overall, to what extent do you feel that the things you do in your life are worthwhile?",
    "Overall, how happy did you feel yesterday?",
    "Overall, how anxious did you feel yesterday?",
]


def answer(page, values):
    for question, value in zip(ONS4, values, strict=True):
        page.get_by_role("group", name=question).get_by_label(str(value), exact=True).check()
    page.get_by_role("button", name="Save the answers").click()


def test_a_link_worker_records_a_baseline_and_a_review(page, demo_data, assert_accessible):
    # A browser test's flush empties the tables the data migration filled; load them again.
    import_module("linkworkers.migrations.0004_outcome_instruments").load_instruments(apps, None)
    case = (
        Referral.objects.open()
        .filter(link_worker__username="linkworker", outcome_measures__isnull=True)
        .order_by("received_at", "pk")
        .first()
    )
    sign_in(page, "linkworker", go_home=False)
    page.goto(f"/cases/{case.uuid}/outcomes/")
    expect(page.get_by_role("heading", level=2, name="Outcome measures")).to_be_visible()
    expect(page.get_by_test_id("reference")).to_have_text(case.reference)
    expect(page.get_by_test_id("no-outcomes")).to_be_visible()
    assert_accessible(page)

    page.get_by_role(
        "link", name=re.compile(r"^Record baseline\s*: ONS4 personal wellbeing$")
    ).click()
    expect(
        page.get_by_role("heading", level=2, name="ONS4 personal wellbeing: baseline")
    ).to_be_visible()
    assert_accessible(page)
    answer(page, [4, 5, 6, 8])
    expect(page.get_by_role("status").first).to_contain_text(
        "ONS4 personal wellbeing (baseline) recorded."
    )
    expect(page.get_by_test_id("baseline-only")).to_be_visible()

    page.get_by_role(
        "link", name=re.compile(r"^Record review\s*: ONS4 personal wellbeing$")
    ).click()
    page.get_by_role("button", name="Save the answers").click()
    expect(page.get_by_test_id("errors")).to_contain_text(
        "Answer “Life satisfaction” (from 0 to 10)."
    )
    assert_accessible(page)
    answer(page, [7, 5, 6, 3])

    changes = page.get_by_test_id("changes")
    expect(changes).to_contain_text("Life satisfaction: 4 → 7 (+3, better)")
    expect(changes).to_contain_text("Worthwhile: 5 → 5 (0, no change)")
    expect(changes).to_contain_text("Anxiety: 8 → 3 (-5, better)")
    expect(page.get_by_role("table")).to_contain_text("Review")
    assert_accessible(page)
