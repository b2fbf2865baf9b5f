"""The triage queue (search, filters, accept then allocate) and the link worker's diary.

Each at a laptop's 1366x900 and a phone's 390x844, with axe on every page.
Screenshots go to test-results/ for review.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from accounts.models import User
from linkworkers.selectors import week_start_of
from referrals.models import Referral, Status
from tests.e2e.conftest import sign_in

SHOTS = Path(__file__).resolve().parents[2] / "test-results"
SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def shoot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


@pytest.mark.parametrize("size", SIZES)
def test_carys_finds_a_referral_accepts_it_and_allocates_it_there(
    page, demo_data, assert_accessible, size
):
    page.set_viewport_size(SIZES[size])
    waiting = (
        Referral.objects.filter(scheme__name__startswith="Teg", status=Status.RECEIVED)
        .select_related("person")
        .order_by("received_at")
        .first()
    )
    days = (timezone.localdate() - timezone.localdate(waiting.received_at)).days

    sign_in(page, "coordinator")
    page.get_by_role("link", name="See the whole queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Triage queue")
    queue = page.get_by_test_id("triage-queue")
    expect(queue.get_by_role("columnheader", name="Days waiting")).to_be_visible()
    assert_accessible(page)
    shoot(page, f"triage-queue-{size}")

    # Urgent only, then waiting longer than the oldest: nothing; then her by reference.
    page.get_by_label("Urgency").select_option("urgent")
    page.locator("#main").get_by_role("button", name="Search", exact=True).click()
    for cell in page.get_by_test_id("triage-queue").get_by_role("row").all()[1:]:
        expect(cell).to_contain_text("Urgent")
    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Waiting longer than (days)").fill(str(days + 400))
    page.locator("#main").get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("main")).to_contain_text("No referrals in the queue match.")
    # The browser refuses -3 itself; typed into the address, the page says what is wrong.
    page.goto("/referrals/triage/?waiting_over=-3")
    expect(page.get_by_test_id("triage-filters")).to_contain_text("greater than or equal to 0")
    page.get_by_role("link", name="Clear").click()

    page.get_by_label("Search the queue").fill(waiting.reference.lower())
    page.get_by_label("Stage").select_option("received")
    page.locator("#main").get_by_role("button", name="Search", exact=True).click()
    row = page.get_by_test_id("triage-queue").get_by_role("row").filter(has_text=waiting.reference)
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("days-waiting")).to_have_text(str(days))
    expect(page.get_by_test_id("triage-count")).to_have_text("1 referral")
    assert_accessible(page)
    shoot(page, f"triage-filtered-{size}")

    row.get_by_role("link", name=waiting.reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Referral {waiting.reference}")
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("is now Accepted")
    # Still on the referral: allocation is right there.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Referral {waiting.reference}")
    assert_accessible(page)
    page.get_by_test_id("allocate-link").click()
    expect(page.get_by_test_id("suggestion")).to_contain_text("Suggested")
    page.get_by_role("button", name="Allocate", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("is now Allocated")
    waiting.refresh_from_db()
    assert (waiting.status, waiting.triage_rank) == (Status.ALLOCATED, None)


@pytest.mark.parametrize("size", SIZES)
def test_llinos_reads_her_week_and_takes_it_to_her_calendar(
    page, demo_data, assert_accessible, size
):
    page.set_viewport_size(SIZES[size])
    today = timezone.localdate()
    sign_in(page, "linkworker", go_home=False)
    page.goto("/diary/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your diary")
    today_card = page.get_by_test_id("today")
    expect(today_card).to_have_count(1)
    expect(today_card).to_have_attribute("aria-current", "date")
    expect(today_card).to_contain_text("Today")
    assert_accessible(page)
    shoot(page, f"diary-{size}")

    heading = page.get_by_test_id("week-heading")
    this_week = heading.inner_text()
    page.get_by_test_id("next-week").click()
    expect(heading).not_to_have_text(this_week)
    expect(page.get_by_test_id("today")).to_have_count(0)
    page.get_by_test_id("previous-week").click()
    page.get_by_test_id("previous-week").click()
    monday = week_start_of(today)
    assert f"week={(monday - timedelta(days=7)).isoformat()}" in page.url
    assert_accessible(page)

    page.goto("/diary/")
    page.get_by_role("button", name="Make a feed address").click()
    address = page.get_by_test_id("feed-address").input_value()
    assert "/diary/feed.ics?token=" in address
    assert_accessible(page)
    feed = page.request.get(address)
    assert feed.ok and feed.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(feed.body()).walk("VEVENT")
    assert events, "the demo link worker has dates due"
    held = Referral.objects.filter(link_worker__username="linkworker").select_related("person")
    text = feed.body().decode()
    for referral in held:
        assert referral.person.family_name not in text
    # The address made before stops working once a new one is made.
    page.get_by_role("button", name="Make a new address").click()
    assert page.request.get(address).status == 404
    page.get_by_role("button", name="Stop the feed").click()
    expect(page.get_by_role("status").first).to_contain_text("Your diary feed is stopped")


def test_carys_opens_llinos_diary(page, demo_data, assert_accessible):
    page.set_viewport_size(SIZES["laptop"])
    sign_in(page, "coordinator", go_home=False)
    page.goto("/diary/")
    expect(page.get_by_role("main")).to_contain_text("Choose a link worker to see their diary.")
    llinos = User.objects.get(username="linkworker")
    page.get_by_label("Link worker", exact=True).select_option(str(llinos.uuid))
    page.locator("#main").get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("diary")
    expect(page.get_by_test_id("diary-week")).to_be_visible()
    expect(page.get_by_test_id("diary-feed")).to_have_count(0)
    assert_accessible(page)
