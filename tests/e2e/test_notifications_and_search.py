"""Notifications and the header search in a real browser (issue 16, points 2 and 3).

Morwenna refers herself; Carys (the demo coordinator) sees the unread count in
the header, opens the notification, lands on the referral, and finds Morwenna
again from the header search. Gwen (a GP) searching the same name finds no one:
the self-referral is not her practice's. At a desktop's width and a phone's,
with axe finding nothing serious; screenshots go to test-results/.
"""

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import User
from referrals import services
from referrals.models import Notification
from tests.e2e.conftest import sign_in

SHOTS = Path(__file__).resolve().parents[2] / "test-results"
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def shoot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def assert_no_sideways_scroll(page):
    wide = page.evaluate(
        """() => [...document.querySelectorAll('header *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .map(e => e.tagName + '.' + e.className)"""
    )
    assert not wide, wide


@pytest.mark.parametrize("size", SIZES)
def test_a_coordinator_hears_of_a_self_referral_and_finds_her_from_the_header(
    page, demo_data, assert_accessible, size
):
    page.set_viewport_size(SIZES[size])
    carys = User.objects.get(username="coordinator")
    Notification.objects.filter(recipient=carys).update(read_at=date(2026, 1, 1))
    referral = services.referral_create(
        person_details={
            "given_name": "Morwenna", "family_name": "Tregenza",
            "date_of_birth": date(1960, 7, 14), "postcode": "CF37 1AA",
            "phone": "07700 900456", "contact_method": "phone",
        },
        referral_details={
            "reasons": ["loneliness"], "what_matters": "Would like to meet people.",
            "consent_to_referral": True, "consent_to_share": True,
        },
        scheme=carys.organisation,
    )  # fmt: skip
    reference = referral.reference

    sign_in(page, "coordinator")
    # The stylesheet decides which copy shows: wait for it (a busy machine serves it late).
    page.wait_for_load_state("load")
    expect(page.locator("[data-testid=unread-count]:visible")).to_have_count(1)
    # One link beside the menu button while the menu is folded, one in the bar on a wide
    # screen: the one shown.
    count = page.locator("[data-testid=unread-count]:visible")
    expect(count).to_be_visible()
    expect(count).to_have_text("1")
    assert_no_sideways_scroll(page)
    # Brand, notifications and the menu button share one line at a phone's width.
    header_link = page.locator("[data-testid^=header-notifications-]:visible").bounding_box()
    brand = page.locator(".navbar-brand").bounding_box()
    assert abs(header_link["y"] - brand["y"]) < brand["height"]
    assert_accessible(page)
    shoot(page, f"notifications-coordinator-home-{size}")

    page.locator("[data-testid^=header-notifications-]:visible").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(page.get_by_test_id("notifications")).to_contain_text(
        f"New self-referral to triage: Morwenna Tregenza ({reference})."
    )
    assert_accessible(page)
    shoot(page, f"notifications-list-{size}")
    page.get_by_role("button", name=f"Open {reference}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Referral {reference}")
    expect(page.get_by_test_id("unread-count")).to_have_count(0)

    # The header search, in view at both widths without opening the menu.
    box = page.get_by_role("searchbox", name="Find a person by name, NHS number")
    expect(box).to_be_visible()
    box.fill("14/07/1960")
    box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a person")
    results = page.get_by_test_id("search-results")
    expect(results).to_contain_text(reference)
    expect(results).to_contain_text("Morwenna Tregenza")
    # Readable on a phone: the status shows without scrolling sideways.
    expect(results.get_by_test_id("status")).to_be_in_viewport(ratio=1)
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    shoot(page, f"search-coordinator-{size}")

    page.context.clear_cookies()
    sign_in(page, "gp")
    box = page.get_by_role("searchbox", name="Find a person by name, NHS number")
    box.fill("Tregenza")
    box.press("Enter")
    expect(page.get_by_role("status")).to_have_text("0 referrals found")
    expect(page.get_by_role("main")).not_to_contain_text(reference)
    assert_accessible(page)
    shoot(page, f"search-gp-{size}")
