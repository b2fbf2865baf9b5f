"""A link worker's day in a real browser: caseload, a contact, what matters, a goal, closure."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from referrals.models import Referral, Status
from tests.e2e.conftest import sign_in, sign_out


def test_llinos_works_a_case_through_to_closure_and_gwen_reads_the_summary(
    page, demo_data, assert_accessible
):
    # A person Gwen (the demo GP) referred, allocated to Llinos and not yet reached.
    case = (
        Referral.objects.filter(
            link_worker__username="linkworker",
            referring_user__username="gp",
            status=Status.ALLOCATED,
        )
        .select_related("person")
        .order_by("received_at")
        .first()
    )
    assert case is not None, "the demo data should give Llinos a case from Gwen's practice"

    sign_in(page, "linkworker")
    page.get_by_role("link", name="Open your whole caseload").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your caseload")
    expect(page.get_by_test_id("counts")).to_contain_text("open cases")
    assert_accessible(page)

    row = page.get_by_test_id("caseload").get_by_role("row").filter(has_text=case.reference)
    expect(row).to_contain_text("First contact due")
    row.get_by_role("link", name=str(case.person)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(case.person))
    expect(page.get_by_test_id("reference")).to_have_text(case.reference)
    assert_accessible(page)

    when = timezone.localtime() - timedelta(minutes=30)
    page.locator("#id_happened_at").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_mode").select_option("face_to_face")
    page.locator("#id_outcome").select_option("reached")
    page.locator("#id_minutes").fill("45")
    page.locator("#id_notes").fill("Met at the library; loves singing.")
    page.get_by_role("button", name="Save contact").click()
    expect(page.get_by_role("status").first).to_contain_text("Contact recorded.")
    expect(page.get_by_test_id("status")).to_have_text("In progress")
    expect(page.get_by_test_id("contacts")).to_contain_text("Met at the library")

    page.get_by_role("link", name="What matters").click()
    assert_accessible(page)
    page.locator("#id_what_matters").fill("Singing again, like she did in chapel.")
    page.locator("#id_strengths").fill("Knows everyone in the village.")
    page.get_by_role("button", name="Save what matters").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved: what matters and the plan.")
    page.locator("#id_goal-description").fill("Go to the Tuesday community choir")
    page.get_by_role("button", name="Add goal").click()
    expect(page.get_by_test_id("goals")).to_contain_text("Go to the Tuesday community choir")
    assert_accessible(page)

    page.get_by_role("link", name="Close", exact=True).click()
    assert_accessible(page)
    expect(page.locator("#id_what_mattered")).to_have_value(
        "Singing again, like she did in chapel."
    )
    page.locator("#id_reason").select_option("completed")
    page.locator("#id_connected_to").fill("Teg Valley community choir, weekly.")
    page.locator("#id_outcomes").fill("Goes every week; feels less alone.")
    page.locator("#id_follow_up").fill("No follow-up needed from the practice.")
    page.get_by_role("button", name="Close the case and send the summary").click()
    expect(page.get_by_role("status").first).to_contain_text("The case is closed")
    expect(page.get_by_test_id("closure-summary")).to_contain_text("Teg Valley community choir")
    assert_accessible(page)
    sign_out(page)

    sign_in(page, "gp", go_home=False)
    page.goto(f"/referrals/{case.uuid}/")
    expect(page.get_by_test_id("status")).to_have_text("Closed")
    summary = page.get_by_test_id("closure-summary")
    expect(summary).to_contain_text("What they were connected to:")
    expect(summary).to_contain_text("Teg Valley community choir, weekly.")
    expect(summary).to_contain_text("No follow-up needed from the practice.")
    expect(page.get_by_role("main")).not_to_contain_text("Met at the library")
    assert_accessible(page)
