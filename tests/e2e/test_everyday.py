"""Issue 16 in a real browser, at a laptop's 1366x900 and a phone's 390x844: nothing typed is
lost without a warning. What only looks (the GP letter, the folded menu, the error pages, the
lists, each role's home page) is in test_everyday_pages.py, on one copy of the demo.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from referrals.models import Referral, Status
from tests.e2e.conftest import SIZES, no_sideways_scroll, sign_in, sized_page


@pytest.fixture(params=list(SIZES))
def sized(request, browser, live_server, transactional_db):
    """A page at one of the two sizes; its name is `sized.size`.

    It asks for the database first, so the browser closes before the tables are emptied: a
    request still in flight then can never deadlock with the flush.
    """
    context, page = sized_page(browser, live_server.url, request.param)
    yield page
    context.close()


# The unsaved-text guard -------------------------------------------------------------------


def _open_case():
    return (
        Referral.objects.filter(link_worker__username="linkworker", status=Status.IN_PROGRESS)
        .order_by("received_at", "pk")
        .first()
    )


def test_typed_text_is_guarded_and_add_goal_keeps_it(sized, demo_data, assert_accessible):
    page = sized
    case = _open_case()
    sign_in(page, "linkworker", go_home=False)
    page.goto(reverse("linkworkers:what_matters", args=[case.uuid]))
    assert_accessible(page)
    words = "Singing again, like in chapel; her sister in Treorchy."
    box = page.locator("#id_what_matters")
    box.click()
    box.press("Control+a")
    box.press_sequentially(words)
    assert page.evaluate("window.unsavedChanges()") == 1

    # Leaving by a link asks first; staying keeps the text.
    asked = []

    def dismiss(dialog):
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    with page.expect_event("dialog"):  # the question comes as the browser starts to leave
        page.get_by_role("link", name="Social prescribing", exact=True).first.click(
            no_wait_after=True
        )
    assert asked == ["beforeunload"]
    expect(box).to_have_value(words)
    page.remove_listener("dialog", dismiss)

    # "Add goal" sends the one form of the tab: no question, and both are saved.
    page.on("dialog", lambda dialog: asked.append(dialog.type) or dialog.accept())
    page.locator("#id_goal-description").fill("Go to the choir on Tuesdays")
    page.get_by_role("button", name="Add goal").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved: what matters and the plan.")
    assert asked == ["beforeunload"]
    expect(page.locator("#id_what_matters")).to_have_value(words)
    expect(page.get_by_test_id("goals")).to_contain_text("Go to the choir on Tuesdays")
    assert page.evaluate("window.unsavedChanges()") == 0
    no_sideways_scroll(page)
    assert_accessible(page)
