"""Gwen, at Afon Surgery (W99001), downloads her practice's GP-system extract in a browser."""

import csv
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in


def test_the_demo_gp_downloads_her_practices_extract(page, demo_data, assert_accessible):
    sign_in(page, "gp")
    page.get_by_role("link", name="GP-system extract").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("GP-system extract")
    assert_accessible(page)

    # The demo's referrals reach back almost a year: ask for the last year.
    today = timezone.localdate()
    start = today - timedelta(days=364)
    page.get_by_label("From date").fill(start.isoformat())
    page.get_by_label("To date").fill(today.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("gp-extract-count")).to_contain_text("coded events")
    assert_accessible(page)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename == (
        f"gp-extract-W99001-{start.isoformat()}-to-{today.isoformat()}.csv"
    )
    with open(download.path(), encoding="utf-8", newline="") as file:
        records = list(csv.DictReader(file))
    assert records
    assert {record["practice_ods_code"] for record in records} == {"W99001"}
    assert {record["snomed_concept_id"] for record in records} <= {
        "871731000000106",
        "871711000000103",
    }
    assert any(record["event"] == "accepted_by_person" for record in records)


def test_a_bad_period_is_explained_on_the_page(looking_page, assert_accessible):
    page = looking_page
    sign_in(page, "gp", go_home=False)
    page.goto("/reporting/gp-extract/?practice=W99001&from=2026-10-31&to=2026-10-01")
    expect(page.get_by_text("The to date must not be before the from date.")).to_be_visible()
    expect(page.get_by_role("link", name="Download CSV")).to_have_count(0)
    assert_accessible(page)
