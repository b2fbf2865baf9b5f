"""Issue 16 in a real browser, pages that are only looked at, at a laptop's 1366x900 and a
phone's 390x844: a page with nothing changed leaves without asking, the GP prints the letter
(both choices of what may go back), the header menu folds away, the error pages are in the
site's frame, lists fit a phone; and a screenshot of each role's home page at both widths, for
review. Every test here only looks, so they share one copy of the demo (`demo_shown`).
"""

from unittest import mock

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from referrals.models import GPFeedback, Referral, Status
from tests.e2e.conftest import SIZES, no_sideways_scroll, sign_in, sized_page

ROLES = ["gp", "linkworker", "coordinator", "provider", "commissioner", "dpo", "peernavigator",
         "admin"]  # fmt: skip


@pytest.fixture(params=list(SIZES))
def sized(request, browser, demo_shown):
    """A page at one of the two sizes on the module's copy of the demo; `sized.size` names it."""
    context, page = sized_page(browser, demo_shown.url, request.param)
    yield page
    context.close()


def test_a_page_with_nothing_changed_leaves_without_asking(sized):
    page = sized
    sign_in(page, "gp", go_home=False)
    page.goto(reverse("referrals:new"))
    asked = []
    page.on("dialog", lambda dialog: asked.append(dialog.type) or dialog.accept())
    page.get_by_role("link", name="Social prescribing", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your referrals")
    assert asked == []


# The GP letter -----------------------------------------------------------------------------


def _closed_for_gp(choice):
    return (
        Referral.objects.filter(
            referring_organisation__users__username="gp",
            status=Status.CLOSED,
            gp_feedback=choice,
        )
        .order_by("closed_at", "pk")
        .first()
    )


@pytest.mark.parametrize("choice", [GPFeedback.EVERYTHING, GPFeedback.CODED_ONLY])
def test_the_gp_prints_the_letter(sized, assert_accessible, screenshots, choice):
    page = sized
    referral = _closed_for_gp(choice)
    assert referral is not None, f"the demo has a closed referral from gp with {choice}"
    # The demo's closures keep the summary as one text (no parts): its first line will do.
    words = referral.closure_summary.splitlines()[0]
    sign_in(page, "gp", go_home=False)
    page.goto(reverse("referrals:detail", args=[referral.uuid]))
    closure = page.get_by_test_id("closure")
    expect(closure).to_be_visible()
    # The summary stands at the top, once; the timeline points to it.
    box = closure.bounding_box()
    timeline = page.get_by_test_id("timeline").bounding_box()
    assert box["y"] < timeline["y"]
    assert_accessible(page)
    closure.get_by_test_id("letter-link").click()
    letter = page.get_by_test_id("gp-letter")
    expect(letter).to_be_visible()
    expect(letter.get_by_role("heading", level=1)).to_have_text(
        "Social prescribing: message back to GP and referrer"
    )
    expect(page.get_by_test_id("letter-closed")).to_contain_text(
        referral.get_closure_reason_display()
    )
    if choice == GPFeedback.EVERYTHING:
        expect(letter).to_have_attribute("data-words", "everything")
        expect(page.get_by_test_id("letter-summary-text")).to_contain_text(words)
    else:
        expect(letter).to_have_attribute("data-words", "coded")
        expect(page.get_by_test_id("letter-coded-only")).to_be_visible()
        expect(letter).not_to_contain_text(words)
    expect(page.get_by_test_id("letter-contact")).to_contain_text("Teg Valley Community Connectors")
    no_sideways_scroll(page)
    assert_accessible(page)
    # On paper: the letter alone, without the site's header, footer or buttons.
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_test_id("print")).to_be_hidden()
    expect(letter).to_be_visible()
    page.screenshot(path=screenshots / f"gp-letter-{choice}-{page.size}-print.png", full_page=True)


# The header menu ---------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["coordinator", "linkworker"])
def test_the_menu_folds_behind_a_button(sized, assert_accessible, username):
    page = sized
    sign_in(page, username)
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    menu = page.locator("#site-nav")
    expect(menu).to_be_hidden()
    # One line of menu bar, not three (the person search has its own row below it).
    assert page.locator(".site-header .navbar").bounding_box()["height"] < 90
    toggler.click()
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name="Caseload")).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    assert_accessible(page)


# Error pages -------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "lang", "text"), [
    ("/no-such-page/", "en", "Page not found"),
    ("/cy/no-such-page/", "cy", "Rhagnodi cymdeithasol"),
])  # fmt: skip
def test_404_is_in_the_sites_frame(sized, assert_accessible, path, lang, text):
    page = sized
    response = page.goto(path)
    assert response.status == 404
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_test_id("not-found")).to_be_visible()
    expect(page.locator("body")).to_contain_text(text)
    assert_accessible(page)


def test_403_is_in_the_sites_frame(sized, assert_accessible):
    page = sized
    sign_in(page, "gp", go_home=False)
    response = page.goto(reverse("referrals:triage"))
    assert response.status == 403
    expect(page.get_by_test_id("forbidden")).to_be_visible()
    expect(page.locator(".navbar-brand")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("path", ["/self-referral/", "/cy/self-referral/"])
def test_500_is_in_the_sites_frame_in_both_languages(sized, assert_accessible, path):
    page = sized
    with mock.patch("referrals.selectors.schemes_for_self_referral", side_effect=RuntimeError):
        response = page.goto(path)
    assert response.status == 500
    error = page.get_by_test_id("server-error")
    expect(error).to_contain_text("Sorry, something went wrong on our side")
    expect(error).to_contain_text("aeth rhywbeth o’i le")
    expect(page.locator(".navbar-brand")).to_be_visible()
    assert_accessible(page)


# Lists on a phone, and each role's home page for review ------------------------------------


@pytest.mark.parametrize(("username", "url", "testid"), [
    ("linkworker", "linkworkers:caseload", "caseload"),
    ("coordinator", "referrals:triage", None),
    ("gp", "referrals:list", None),
])  # fmt: skip
def test_lists_show_status_and_due_dates_at_both_widths(
    sized, assert_accessible, username, url, testid
):
    page = sized
    sign_in(page, username, go_home=False)
    page.goto(reverse(url))
    table = page.locator("table.table-stack").first
    first_row = table.locator("tbody tr").first
    status = first_row.locator('td[data-label="Status"]')
    expect(status).to_be_visible()
    assert (
        status.bounding_box()["x"] + status.bounding_box()["width"] <= page.viewport_size["width"]
    )
    if testid == "caseload":
        expect(first_row.locator('td[data-label="Due next"]')).to_be_visible()
    no_sideways_scroll(page)
    assert_accessible(page)


@pytest.mark.parametrize("username", ROLES)
def test_each_roles_home_page_for_review(sized, assert_accessible, screenshots,
                                         username):  # fmt: skip
    page = sized
    sign_in(page, username)
    expect(page.get_by_test_id("signed-in-user")).to_be_attached()
    assert_accessible(page)
    page.screenshot(path=screenshots / f"home-{username}-{page.size}.png", full_page=True)
