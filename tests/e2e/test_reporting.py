"""The statistics dashboard in a real browser: Carys (scheme manager) and Catrin (commissioner)."""

import io
import re
import time
from pathlib import Path

from django.db import OperationalError
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from reporting.models import RollupRun
from tests.e2e.conftest import sign_in


def sheets(download):
    return load_workbook(io.BytesIO(Path(download.path()).read_bytes())).sheetnames


def download(page, link):
    with page.expect_download() as info:
        link.click()
    return info.value


def worker_writes(run, **fields):
    """The run's row as the worker writes it, from the test's thread. On SQLite the live server's
    threads share the test's one in-memory connection, and the page's polling may be reading
    the table at that moment ("database table is locked", once in some ten runs): write again
    shortly, as a worker's connection of its own would wait its turn."""
    for attempt in range(50):
        try:
            RollupRun.objects.filter(pk=run.pk).update(**fields)
            return
        except OperationalError as error:
            if "locked" not in str(error) or attempt == 49:
                raise
            time.sleep(0.02)


def test_carys_refreshes_reads_and_downloads_her_schemes_figures(
    page, demo_data, assert_accessible
):
    sign_in(page, "coordinator")
    page.get_by_role("navigation").get_by_role("link", name="Statistics", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Statistics: Teg Valley Community Connectors"
    )
    assert_accessible(page)

    page.get_by_role("button", name="Refresh figures").click()
    expect(page).to_have_url(re.compile(r"/reporting/#refresh$"))
    expect(page.get_by_role("status").first).to_contain_text("Figures refreshed.")
    expect(page.get_by_test_id("figures-as-at")).to_contain_text("Figures as at")
    assert_accessible(page)

    sections = page.locator("section.report-table")
    expect(sections.first).to_be_visible()
    first = sections.first
    expect(first.get_by_role("table")).to_be_visible()
    # Each chart is drawn by Chart.js beside its table.
    charts = page.locator("canvas[data-chart]")
    if charts.count():
        drawn = page.evaluate(
            "() => [...document.querySelectorAll('canvas[data-chart]')]"
            ".every(canvas => window.Chart.getChart(canvas) !== undefined)"
        )
        assert drawn

    csv_file = download(page, first.get_by_role("link", name=re.compile("^Download CSV")))
    assert re.fullmatch(r"sp-[\w-]+-\d{4}-\d\d-to-\d{4}-\d\d\.csv", csv_file.suggested_filename)
    assert Path(csv_file.path()).read_bytes().startswith("\ufeff".encode())

    xlsx_file = download(page, first.get_by_role("link", name=re.compile("^Download Excel")))
    assert xlsx_file.suggested_filename.endswith(".xlsx")
    assert sheets(xlsx_file)

    everything = download(page, page.get_by_role("link", name="Download everything (Excel)"))
    assert everything.suggested_filename.startswith("sp-all-")
    assert len(sheets(everything)) == sections.count()

    page.get_by_role("button", name="Cymraeg").click()
    expect(page).to_have_url(re.compile(r"/cy/reporting/"))
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cysylltwyr Cymunedol Dyffryn Teg")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("figures|ffigurau", re.I)).click()
    expect(page).to_have_url(re.compile(r"/cy/reporting/#refresh$"))
    welsh_csv = download(page, page.locator("section.report-table").first.locator("a").first)
    assert welsh_csv.suggested_filename.endswith(".csv")


def test_catrin_reads_her_areas_figures_from_her_home_page(page, demo_data, assert_accessible):
    sign_in(page, "commissioner")
    page.get_by_role("link", name="Open the statistics dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Statistics: Teg Valley University Health Board"
    )
    page.get_by_role("button", name="Refresh figures").click()
    expect(page.get_by_role("status").first).to_contain_text("Figures refreshed.")
    assert_accessible(page)
    everything = download(page, page.get_by_role("link", name="Download everything (Excel)"))
    assert sheets(everything)

    page.goto("/cy/reporting/")
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    assert_accessible(page)


def test_the_progress_bar_follows_a_run_and_the_page_reloads_when_it_is_done(
    page, demo_data, assert_accessible
):
    # A run a Celery worker is doing elsewhere (the demo's Celery is eager, so make one here).
    run = RollupRun.objects.create(
        kind=RollupRun.Kind.INCREMENTAL,
        state=RollupRun.State.RUNNING,
        progress=30,
        created_at=timezone.now(),
        started_at=timezone.now(),
    )
    sign_in(page, "coordinator", go_home=False)
    page.goto("/reporting/#refresh")
    progress = page.locator("progress#refresh-progress")
    expect(progress).to_have_attribute("value", "30")
    expect(page.get_by_label("Refreshing the figures")).to_be_visible()
    expect(page.get_by_role("button", name="Refresh figures")).to_be_disabled()
    assert_accessible(page)

    worker_writes(run, progress=70)
    expect(progress).to_have_attribute("value", "70")
    expect(page.get_by_test_id("refresh-status")).to_have_text("Running (70%)")

    worker_writes(
        run, state=RollupRun.State.DONE, in_flight=None, progress=100, finished_at=timezone.now()
    )
    expect(progress).to_have_count(0)
    expect(page.get_by_test_id("figures-as-at")).to_contain_text("Figures as at")
    expect(page.get_by_role("button", name="Refresh figures")).to_be_enabled()
