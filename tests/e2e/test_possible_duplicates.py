"""The coordinator works through the possible duplicates in a real browser (demo data)."""

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in


def test_the_coordinator_merges_a_pair_and_undoes_it(page, demo_data, assert_accessible):
    sign_in(page, "coordinator")
    page.get_by_role("link", name="Possible duplicates").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Possible duplicates")
    assert_accessible(page)
    waiting = page.get_by_test_id("waiting").get_by_role("row")
    expect(waiting).to_have_count(3)  # the header and the demo's two pairs
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
