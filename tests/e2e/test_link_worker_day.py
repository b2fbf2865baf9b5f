"""A link worker's day (issue 5): a contact, a baseline ONS4, a referral to a gardening group
that its provider accepts, a review ONS4, the closure; the GP sees the summary."""

import re
from importlib import import_module

from django.apps import apps
from django.utils import timezone
from playwright.sync_api import expect

from directory.models import Service
from referrals.models import Referral, Status
from tests.e2e.conftest import sign_in, sign_out

ONS4 = [
    "Overall, how satisfied are you with your life nowadays?",
    "Overall, to what extent do you feel that the things you do in your life are worthwhile?",
    "Overall, how happy did you feel yesterday?",
    "Overall, how anxious did you feel yesterday?",
]


def record_ons4(page, timepoint, values):
    page.get_by_role("link", name="Outcomes", exact=True).click()
    page.get_by_role(
        "link", name=re.compile(rf"^Record {timepoint}\s*: ONS4 personal wellbeing$")
    ).click()
    for question, value in zip(ONS4, values, strict=True):
        page.get_by_role("group", name=question).get_by_label(str(value), exact=True).check()
    page.get_by_role("button", name="Save the answers").click()
    expect(page.get_by_role("status").first).to_contain_text(
        f"ONS4 personal wellbeing ({timepoint}) recorded."
    )


def test_a_link_workers_day(page, demo_data, assert_accessible):
    # A browser test's flush empties the tables the data migration filled; load them again.
    import_module("linkworkers.migrations.0004_outcome_instruments").load_instruments(apps, None)
    case = (
        Referral.objects.filter(
            link_worker__username="linkworker",
            referring_organisation__users__username="gp",
            status__in=[Status.ALLOCATED, Status.IN_PROGRESS],
            outcome_measures__isnull=True,
        )
        .order_by("received_at", "pk")
        .first()
    )
    gardening = (
        Service.objects.filter(
            name__startswith="Community growing group",
            provider__name="Teg Valley Growing Together",
            takes_direct_referrals=True,
            status=Service.Status.ACTIVE,
        )
        .order_by("name")
        .first()
    )

    sign_in(page, "linkworker", go_home=False)
    page.goto(f"/cases/{case.uuid}/")
    page.locator("#id_happened_at").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_mode").select_option("phone")
    page.locator("#id_outcome").select_option("reached")
    page.locator("#id_minutes").fill("30")
    page.get_by_role("button", name="Save contact").click()
    expect(page.get_by_role("status").first).to_contain_text("Contact recorded.")

    record_ons4(page, "baseline", [4, 5, 5, 7])

    page.get_by_role("link", name="Connections", exact=True).click()
    assert_accessible(page)
    page.get_by_label("Keyword").fill(gardening.name)
    page.locator("#main").get_by_role("button", name="Search", exact=True).click()
    result = page.get_by_test_id("result").filter(has_text=gardening.name)
    result.get_by_text("Checks before you refer").click()
    expect(result.get_by_test_id("service-quality")).to_be_visible()
    assert_accessible(page)
    result.get_by_role("button", name="Propose or refer").click()
    result.get_by_label("Note for the provider").fill("Loves being outdoors; mornings suit.")
    result.get_by_role("button", name="Propose and refer").click()
    expect(page.get_by_role("status").first).to_contain_text("Connection saved.")
    expect(page.get_by_test_id("connection-status")).to_have_text("Referred")
    sign_out(page)

    sign_in(page, "provider", go_home=False)
    page.goto("/providers/referrals/")
    card = page.get_by_test_id("provider-connection").filter(has_text=gardening.name)
    expect(card.get_by_test_id("note-for-provider")).to_have_text(
        "Loves being outdoors; mornings suit."
    )
    expect(card).not_to_contain_text(case.person.family_name)
    assert_accessible(page)
    card.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status").first).to_contain_text("the link worker has been told")
    sign_out(page)

    sign_in(page, "linkworker", go_home=False)
    page.goto(f"/cases/{case.uuid}/connections/")
    expect(page.get_by_test_id("connection-status")).to_have_text("Accepted")
    page.get_by_test_id("prescription-link").click()
    # The prescription is in the person's language.
    welsh = case.person.preferred_language == "cy" and gardening.name_cy
    expect(page.get_by_test_id("prescription-service")).to_contain_text(
        gardening.name_cy if welsh else gardening.name
    )
    assert_accessible(page)
    page.goto(f"/cases/{case.uuid}/")

    record_ons4(page, "review", [7, 7, 7, 3])
    page.get_by_role("link", name="Close", exact=True).click()
    page.locator("#id_reason").select_option("completed")
    page.locator("#id_what_mattered").fill("Being outdoors and meeting people.")
    page.locator("#id_connected_to").fill(f"{gardening.name}, weekly.")
    page.locator("#id_outcomes").fill("Life satisfaction up from 4 to 7.")
    page.locator("#id_follow_up").fill("No follow-up needed from the practice.")
    page.get_by_role("button", name="Close the case and send the summary").click()
    expect(page.get_by_role("status").first).to_contain_text("The case is closed")
    sign_out(page)

    sign_in(page, "gp", go_home=False)
    page.goto(f"/referrals/{case.uuid}/")
    expect(page.get_by_test_id("status")).to_have_text("Closed")
    summary = page.get_by_test_id("closure-summary")
    expect(summary).to_contain_text(f"{gardening.name}, weekly.")
    expect(summary).to_contain_text("Life satisfaction up from 4 to 7.")
    assert_accessible(page)
