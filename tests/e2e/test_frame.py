"""The site's frame in a real browser: each role's home page, Welsh and back, the skip link,
the public pages. Tests that only look share one copy of the demo (`looking_page`)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

HOMES = [
    ("gp", "Your referrals"),
    ("linkworker", "Your caseload"),
    ("coordinator", "Triage queue"),
    ("provider", "Your services"),
    ("commissioner", "Statistics for your area"),
    ("admin", "Administration"),
]


@pytest.mark.parametrize(("username", "heading"), HOMES)
def test_each_demo_role_lands_on_its_own_home_page(
    looking_page, assert_accessible, username, heading
):
    page = looking_page
    page.goto("/accounts/login/")
    assert_accessible(page)
    sign_in(page, username)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_test_id("signed-in-user")).to_contain_text("Signed in as")
    assert_accessible(page)


def test_switching_to_welsh_and_back(page, demo_data, assert_accessible):
    sign_in(page, "linkworker")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your caseload")
    page.get_by_role("button", name="Cymraeg").click()
    expect(page).to_have_url(f"{page.url.split('/', 3)[0]}//{page.url.split('/')[2]}/cy/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Eich llwyth achosion")
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    assert_accessible(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your caseload")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_the_skip_link_is_the_first_thing_a_keyboard_reaches(looking_page):
    page = looking_page
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    skip.press("Enter")
    expect(page.locator("main")).to_be_focused()


@pytest.mark.parametrize("path", ["/", "/cy/", "/accounts/password/reset/", "/cy/accounts/login/"])
def test_public_pages_are_accessible(looking_page, assert_accessible, path):
    page = looking_page
    page.goto(path)
    assert_accessible(page)
