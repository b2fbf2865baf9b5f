"""Dewi, the demo scheme's data protection officer, reads the audit trail in a browser."""

from playwright.sync_api import expect

from referrals.models import Referral
from tests.e2e.conftest import sign_in_with_form

PHONE = {"width": 375, "height": 812}


def test_the_dpo_sees_his_own_reads_in_the_audit_trail(page, demo_data, assert_accessible):
    referral = Referral.objects.filter(scheme__name="Teg Valley Community Connectors").first()
    person = referral.person

    # Through the form: his sign-in is one of the rows he reads below.
    sign_in_with_form(page, "dpo")
    expect(page.get_by_role("heading", level=1)).to_have_text("Data protection")
    assert_accessible(page)

    # Find someone referred to the scheme and open their page: a read of their record.
    page.get_by_label("SP- reference or NHS number").fill(referral.reference)
    page.get_by_role("button", name="Find").click()
    page.get_by_test_id("found-people").get_by_role("link", name=str(person)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(str(person))
    assert_accessible(page)

    page.get_by_role("link", name="Audit trail").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    rows = page.get_by_test_id("audit-rows").locator("tbody tr")
    # Newest first: this page's own row is written as it is shown, so it comes with the next.
    expect(rows.first).to_contain_text("Dewi Lloyd")
    own = rows.filter(has_text="person record (data protection)")
    expect(own.first).to_contain_text(str(person))
    expect(own.first).to_contain_text(referral.reference)
    expect(rows.filter(has_text="Log in").filter(has_text="Dewi Lloyd").first).to_be_visible()
    assert_accessible(page)

    # His own reads, narrowed to him, at a phone's width.
    page.set_viewport_size(PHONE)
    page.get_by_label("User").select_option(label="Dewi Lloyd (Data protection officer)")
    page.get_by_label("What").select_option("view")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(rows.first).to_contain_text("Dewi Lloyd")
    expect(rows.filter(has_text="person record (data protection)").first).to_contain_text(
        str(person)
    )
    assert_accessible(page)

    page.get_by_role("link", name="Unusual access").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unusual access")
    assert_accessible(page)
