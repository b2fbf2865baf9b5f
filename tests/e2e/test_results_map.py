"""The map beside search results, and the in-case cards, in a real browser (issue 15, 3 and 4).

A newcomer searches the public directory near Pontypridd and Llinos (the demo
link worker) searches from a case: the list is the page, the map beside it
repeats the results as numbered pins that are links, keyboard users pass
through it, and axe finds nothing serious, at a desktop's width and a phone's.
Tiles are answered by the test (tests/e2e/conftest.py), so no request leaves
the machine; the page tells the tile server its origin, never the case's
address. Screenshots go to test-results/ for a person to look at.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from referrals.models import Referral, Status
from tests.e2e.conftest import sign_in

SHOTS = Path(__file__).resolve().parents[2] / "test-results"
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def shoot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def assert_pins_follow_the_list(page):
    """Every pin is a link numbered as a result, to that result's page, named for screen readers."""
    expect(page.get_by_test_id("results-map")).to_be_visible()
    pins = page.locator(".results-map__pin-link")
    expect(pins.first).to_be_visible()
    cards = page.get_by_test_id("result")
    links = {
        cards.nth(i).locator(".result-number").inner_text(): cards.nth(i)
        .get_by_role("heading")
        .get_by_role("link")
        .get_attribute("href")
        for i in range(cards.count())
    }
    assert pins.count() >= 1
    for i in range(pins.count()):
        pin = pins.nth(i)
        number = pin.inner_text()
        assert pin.get_attribute("href") == links[number]
        assert pin.get_attribute("aria-label").startswith(f"{number}: ")
    return pins


def assert_keyboard_passes_through_the_map(page):
    """Tab goes into the map and out of it again: nothing there holds the focus."""
    page.locator("[data-map-canvas]").focus()
    stops = page.locator("[data-map-canvas] a, [data-map-canvas] [tabindex='0']").count()
    for _ in range(stops + 3):
        page.keyboard.press("Tab")
        if not page.evaluate("() => !!document.activeElement.closest('[data-map-canvas]')"):
            return
    raise AssertionError("the keyboard did not leave the map")


def assert_tiles_know_only_the_origin(tile_requests, live_server):
    assert tile_requests, "the map drew no tiles"
    referrers = {request.headers.get("referer") for request in tile_requests}
    assert referrers == {live_server.url + "/"}


@pytest.mark.parametrize("width", WIDTHS)
def test_the_public_results_sit_beside_a_map_of_numbered_pins(
    page, demo_data, assert_accessible, tile_requests, live_server, width
):
    page.set_viewport_size(WIDTHS[width])
    page.goto("/directory/?postcode=CF37+1AB")
    expect(page.get_by_role("status")).to_contain_text("nearest to CF37 1AB first")
    pins = assert_pins_follow_the_list(page)
    assert_accessible(page)
    assert_keyboard_passes_through_the_map(page)
    assert_tiles_know_only_the_origin(tile_requests, live_server)
    shoot(page, f"directory-map-{width}")

    first = page.get_by_test_id("result").first.get_by_role("heading").inner_text()
    # Followed from the keyboard: pins of services that share a place lie on top of each other,
    # so a pointer may land on another (each pin's address was checked above).
    pin = pins.filter(has_text=re.compile(r"^1$")).first
    pin.focus()
    page.keyboard.press("Enter")
    # A shared machine can take a while to follow the link.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        first.removeprefix("1").strip(), timeout=20_000
    )


def test_without_javascript_the_list_is_the_whole_page(browser, live_server, demo_data):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/directory/?postcode=CF37+1AB")
    expect(page.get_by_test_id("result").first).to_be_visible()
    expect(page.get_by_test_id("results-map")).to_be_hidden()
    context.close()


def demo_case():
    return (
        Referral.objects.filter(
            link_worker__username="linkworker",
            status__in=[Status.ALLOCATED, Status.IN_PROGRESS],
        )
        .order_by("received_at", "pk")
        .first()
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_llinos_compares_compact_cards_and_opens_one_note_box(
    page, demo_data, assert_accessible, tile_requests, live_server, width
):
    page.set_viewport_size(WIDTHS[width])
    case = demo_case()
    sign_in(page, "linkworker", go_home=False)
    page.goto(f"/cases/{case.uuid}/connections/?q=&nearby=on")
    cards = page.get_by_test_id("result")
    expect(cards.first).to_be_visible()
    for i in range(cards.count()):
        card = cards.nth(i)
        for fact in ("when", "cost", "distance", "reply-time", "capacity"):
            expect(card.get_by_test_id(fact)).not_to_be_empty()
        # The demo's people have real postcodes and its services real places.
        expect(card.get_by_test_id("distance")).to_have_text(re.compile(r"^[\d.,]+ k?m \("))
        expect(card.get_by_test_id("reply-time")).not_to_contain_text("0 days")
    assert_pins_follow_the_list(page)
    assert_keyboard_passes_through_the_map(page)
    assert_tiles_know_only_the_origin(tile_requests, live_server)
    assert str(case.uuid) not in " ".join(r.headers.get("referer", "") for r in tile_requests)
    expect(page.get_by_role("textbox", name="Note for the provider")).to_have_count(0)
    assert_accessible(page)

    second, third = cards.nth(1), cards.nth(2)
    second.get_by_role("button", name="Propose or refer").click()
    expect(second.get_by_role("textbox", name="Note for the provider")).to_be_focused()
    expect(page.get_by_role("textbox", name="Note for the provider")).to_have_count(1)
    expect(second.get_by_role("button", name="Propose or refer")).to_have_attribute(
        "aria-expanded", "true"
    )
    assert_accessible(page)
    shoot(page, f"case-cards-{width}")

    # Choosing another closes the first: one note box at a time, and what was typed is kept.
    second.get_by_role("textbox", name="Note for the provider").fill("Mornings suit her.")
    third.get_by_role("button", name="Propose or refer").click()
    expect(page.get_by_role("textbox", name="Note for the provider")).to_have_count(1)
    expect(third.get_by_role("textbox", name="Note for the provider")).to_be_visible()
    second.get_by_role("button", name="Propose or refer").press(" ")
    expect(second.get_by_role("textbox", name="Note for the provider")).to_have_value(
        "Mornings suit her."
    )


def test_without_javascript_the_chosen_card_opens_on_a_new_page(browser, live_server, demo_data):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "linkworker", go_home=False)
    page.goto(f"/cases/{demo_case().uuid}/connections/?q=&nearby=on")
    second = page.get_by_test_id("result").nth(1)
    second.get_by_role("link", name="Propose or refer").click()
    expect(page).to_have_url(re.compile(r"[?&]service=[0-9a-f-]{36}"))
    expect(page.get_by_role("textbox", name="Note for the provider")).to_have_count(1)
    expect(
        page.get_by_test_id("result").nth(1).get_by_role("textbox", name="Note for the provider")
    ).to_be_visible()
    context.close()
