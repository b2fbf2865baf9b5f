"""Referrals in a real browser: a GP refers, the coordinator triages, the GP sees it move on."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in, sign_out


def test_a_gp_referral_is_accepted_and_allocated_and_the_gp_sees_it(
    page, demo_data, assert_accessible
):
    sign_in(page, "gp")
    page.get_by_role("link", name="Make a referral").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a referral")
    assert_accessible(page)
    page.locator("#id_given_name").fill("Morfudd")
    page.locator("#id_family_name").fill("Llwyd")
    page.locator("#id_date_of_birth").fill("1951-05-09")
    page.locator("#id_nhs_number").fill("943 476 5919")
    page.locator("#id_postcode").fill("cf37 1aa")
    page.locator("#id_phone").fill("07700 900321")
    page.get_by_label("Loneliness and isolation").check()
    page.locator("#id_what_matters").fill("Lost her husband last year; misses singing in a choir.")
    page.get_by_label("The person agreed to be referred to social prescribing").check()
    page.get_by_label("The person agreed to their details being shared with the scheme").check()
    page.get_by_role("button", name="Send referral").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Referral sent")
    reference = page.get_by_test_id("reference").inner_text()
    assert re.fullmatch(r"SP-[A-Z0-9]{6,}", reference)
    assert_accessible(page)
    sign_out(page)

    sign_in(page, "coordinator")
    expect(page.get_by_role("heading", level=1)).to_have_text("Triage queue")
    # The queue puts the oldest first; the newest referral heads the list of all referrals.
    page.get_by_role("link", name="Referrals", exact=True).click()
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Referral {reference}")
    assert_accessible(page)
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text(
        f"Referral {reference} is now Accepted"
    )
    # She stays on the referral and allocates it from there.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Referral {reference}")
    page.get_by_test_id("allocate-link").click()
    expect(page.get_by_test_id("suggestion")).to_contain_text("Suggested")
    assert_accessible(page)
    page.get_by_role("button", name="Allocate", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("is now Allocated")
    sign_out(page)

    sign_in(page, "gp")
    row = page.get_by_role("row").filter(has_text=reference)
    expect(row.get_by_test_id("status")).to_have_text("Allocated")
    page.get_by_role("link", name=re.compile(r"new notifications?")).click()
    expect(page.get_by_role("main")).to_contain_text(
        f"Referral {reference} for Morfudd Llwyd was accepted"
    )
    assert_accessible(page)


def test_a_person_refers_themself_in_welsh(page, demo_data, assert_accessible):
    page.goto("/cy/self-referral/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hunanatgyfeirio")
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    assert_accessible(page)
    page.locator("#id_given_name").fill("Ieuan")
    page.locator("#id_family_name").fill("Prys")
    page.locator("#id_date_of_birth").fill("1970-11-30")
    page.locator("#id_postcode").fill("sa1 1aa")
    page.locator("#id_phone").fill("07700 900654")
    page.locator("#id_preferred_language").select_option("cy")
    page.get_by_label("Unigrwydd ac ynysigrwydd").check()
    page.locator("#id_what_matters").fill("Hoffwn ymuno â chôr neu grŵp cerdded.")
    page.get_by_label("Hoffwn i weithiwr cyswllt gysylltu â mi").check()
    page.get_by_label("Rwy'n cytuno y caiff y cynllun gadw'r manylion hyn i'm helpu").check()
    page.get_by_role("button", name="Anfon", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Diolch")
    expect(page.get_by_test_id("reference")).to_have_text(re.compile(r"SP-[A-Z0-9]{6,}"))
    expect(page.get_by_role("main")).to_contain_text("o fewn 10 diwrnod gwaith")
    assert_accessible(page)
