"""The public directory in a real browser; both tests only look, on one copy of the demo."""

import re

from playwright.sync_api import expect


def test_a_newcomer_finds_a_free_gardening_group_near_them_in_welsh(
    looking_page, assert_accessible
):
    page = looking_page
    page.goto("/cy/")
    page.get_by_role("link", name="Dod o hyd i wasanaethau").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dod o hyd i wasanaethau cymunedol")
    assert_accessible(page)

    page.get_by_label("Categori").select_option(label="Garddio a mannau gwyrdd")
    page.get_by_label("Am ddim yn unig").check()
    page.get_by_label("Cod post").fill("cf37 1ab")
    page.get_by_role("button", name="Chwilio", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("y rhai agosaf at CF37 1AB yn gyntaf")
    first = page.get_by_test_id("result").first
    expect(first.get_by_test_id("distance")).to_have_text(
        re.compile(r"^0 m \(0[.,]0 milltir\) i ffwrdd$")
    )
    assert_accessible(page)

    page.get_by_role("link", name="Grŵp tyfu cymunedol, Pontypridd", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grŵp tyfu cymunedol, Pontypridd")
    expect(page.get_by_text("Tyfu Gyda'n Gilydd Dyffryn Teg").first).to_be_visible()
    expect(page.get_by_test_id("location")).to_contain_text("CF37 1AB")
    expect(page.get_by_test_id("last-checked")).to_contain_text("Gwiriwyd ddiwethaf ar")
    assert_accessible(page)


def test_a_bad_postcode_is_explained_beside_the_field(looking_page, assert_accessible):
    page = looking_page
    page.goto("/directory/")
    page.get_by_label("Postcode").fill("CF99 9ZZ")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_label("Postcode")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_postcode_error")).to_have_text(
        "We could not find the postcode CF99 9ZZ. Check it and try again."
    )
    assert_accessible(page)
