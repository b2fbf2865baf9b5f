"""The coordinator works through the possible duplicates in a real browser (demo data)."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from accounts.models import User
from referrals import services
from referrals.models import Person, PersonAsReferred
from tests.e2e.conftest import sign_in


@pytest.fixture
def two_pairs(demo_data):
    """The demo GP refers two people the scheme knows, each on less than an exact match."""
    gp = User.objects.get(username="gp")
    numbered = Person.objects.exclude(nhs_number=None).order_by("pk").first()
    unnumbered = Person.objects.filter(nhs_number=None).order_by("pk").first()
    for person, changes in (
        (numbered, {"date_of_birth": numbered.date_of_birth + timedelta(days=3)}),
        (unnumbered, {}),
    ):
        details = {key: getattr(person, key) for key in PersonAsReferred.FIELDS}
        services.referral_create(
            actor=gp,
            person_details={**details, **changes},
            referral_details={
                "reasons": ["loneliness"], "what_matters": "Would like to meet people.",
                "consent_to_referral": True, "consent_to_share": True,
            },
        )  # fmt: skip


def test_the_coordinator_merges_a_pair_and_undoes_it(page, two_pairs, assert_accessible):
    sign_in(page, "coordinator")
    page.get_by_role("link", name="Possible duplicates").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Possible duplicates")
    assert_accessible(page)
    waiting = page.get_by_test_id("waiting").get_by_role("row")
    expect(waiting).to_have_count(3)  # the header and the two pairs
    page.get_by_role("link", name="Compare and decide").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Possible duplicate")
    expect(page.get_by_role("heading", name="New record")).to_be_visible()
    expect(page.get_by_role("heading", name="Existing record")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Merge: the same person").click()
    expect(page.get_by_role("status").first).to_contain_text("Merged")
    expect(waiting).to_have_count(2)
    page.get_by_test_id("merged").get_by_role("link").first.click()
    expect(page.get_by_test_id("state")).to_have_text("Merged")
    page.get_by_role("button", name="Undo the merge").click()
    expect(page.get_by_role("status").first).to_contain_text("Merge undone")
    expect(waiting).to_have_count(3)
