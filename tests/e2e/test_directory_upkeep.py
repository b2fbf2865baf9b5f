"""A provider edits a listing, a directory editor approves it, the provider sees it applied."""

from io import StringIO

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Organisation, User
from directory.demo_upkeep import seed_upkeep
from directory.models import Provider, Service
from tests.e2e.conftest import sign_in, sign_out


@pytest.fixture
def allotment(demo_data):
    """A listing kept by the demo provider login's organisation, and Carys made an editor."""
    seed_upkeep(StringIO())
    organisation = Organisation.objects.get(name="Teg Valley Growing Together")
    provider = Provider.objects.create(name="Riverside Growers", organisation=organisation)
    return Service.objects.create(
        provider=provider,
        name="Riverside allotment",
        name_cy="Rhandir glan yr afon",
        description="Grow your own on a shared plot.",
        last_reviewed_on=timezone.localdate(),
    )


def test_a_provider_change_is_approved_and_applied(page, allotment, assert_accessible):
    sign_in(page, "provider")
    expect(page.get_by_test_id("provider-services")).to_contain_text("Riverside allotment")
    assert_accessible(page)
    page.get_by_role("link", name="Keep your listings up to date").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Keep your listings up to date")
    assert_accessible(page)

    page.get_by_role("link", name="Edit Riverside allotment").click()
    assert_accessible(page)
    page.get_by_label("Name in Welsh").fill("Rhandir Glan yr Afon")
    page.get_by_label("Capacity").select_option("waiting_list")
    page.get_by_label("Waiting time").select_option("1_to_3_months")
    page.get_by_role("button", name="Send for approval").click()
    expect(page.get_by_role("status")).to_contain_text("once a directory editor approves it")
    row = page.get_by_test_id(f"service-{allotment.uuid}")
    expect(row).to_contain_text("Waiting for approval")
    expect(row).to_contain_text("Open to new people")
    sign_out(page)

    sign_in(page, "coordinator")
    page.get_by_role("link", name="Changes to review").click()
    assert_accessible(page)
    page.get_by_role("link", name="Riverside allotment").click()
    diff = page.get_by_test_id("change-diff")
    expect(diff.locator('tr[data-field="name_cy"]')).to_contain_text("Rhandir Glan yr Afon")
    expect(diff.locator('tr[data-field="capacity"]')).to_contain_text("Waiting list")
    assert_accessible(page)
    page.get_by_role("button", name="Approve this change").click()
    expect(page.get_by_role("status")).to_contain_text("Approved: the listing for")
    sign_out(page)

    sign_in(page, "provider")
    page.get_by_role("link", name="Your listings", exact=True).click()
    expect(page.get_by_test_id("proposed-changes")).to_contain_text("Approved")
    expect(page.get_by_test_id(f"service-{allotment.uuid}")).to_contain_text(
        "Waiting list (1 to 3 months)"
    )
    assert_accessible(page)
    allotment.refresh_from_db()
    assert allotment.name_cy == "Rhandir Glan yr Afon"
    assert allotment.reviewed_by == User.objects.get(username="coordinator")
    assert "Your change to Riverside allotment is approved" in [m.subject for m in mail.outbox]


def test_a_link_worker_records_a_check_before_referring(page, allotment, assert_accessible):
    sign_in(page, "linkworker", go_home=False)
    page.goto(f"/directory/services/{allotment.uuid}/checks/")
    expect(page.get_by_test_id("latest-check")).to_contain_text("No one has recorded a check yet.")
    assert_accessible(page)
    page.get_by_label("Safeguarding policy seen").check()
    page.get_by_label("Not relevant").check()
    page.get_by_label("Notes").fill("Visited on a Tuesday session.")
    page.get_by_role("button", name="Record this check").click()
    expect(page.get_by_role("status")).to_contain_text("Your check is recorded.")
    expect(page.get_by_test_id("latest-check")).to_contain_text("Llinos Watkins")
    expect(page.get_by_test_id("latest-check")).to_contain_text("Safeguarding policy seen: yes")
    assert_accessible(page)
