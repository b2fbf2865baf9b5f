"""Carys and Catrin download the dashboard's tables: CSV and Excel, small numbers always hidden."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from accounts.models import AuditEvent
from reporting import services
from tests.factories import ReferralFactory
from tests.reporting import ui_stories

# The people of the stories (fixtures are found by their names here).
cluster = ui_stories.cluster
commissioner = ui_stories.commissioner
coordinator = ui_stories.coordinator
english = ui_stories.english
fake_dashboard = ui_stories.fake_dashboard
fast_password_hashing = ui_stories.fast_password_hashing
link_worker = ui_stories.link_worker
practice = ui_stories.practice
receptionist = ui_stories.receptionist
scheme = ui_stories.scheme

pytestmark = pytest.mark.django_db

FILTERS = "?start=2026-01&end=2026-03"


def csv_rows(response):
    content = response.content
    assert content.startswith("\ufeff".encode()), "Excel needs the byte order mark"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def workbook(response):
    return load_workbook(io.BytesIO(response.content))


def test_carys_downloads_a_table_as_csv_with_what_was_counted_above_it(
    client, coordinator, fake_dashboard
):
    client.force_login(coordinator)
    response = client.get(f"/reporting/export/funnel.csv{FILTERS}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == 'attachment; filename="sp-funnel-2026-01-to-2026-03.csv"'
    )
    rows = csv_rows(response)
    assert rows[:10] == [
        ["Referrals and how far they went"],
        ["Of 26 referrals received, 19 were accepted."],
        ["Counted for", "Teg Valley Community Connectors"],
        ["From", "2026-01"],
        ["To", "2026-03"],
        ["Area", "All"],
        ["Scheme", "Teg Valley Community Connectors"],
        ["Source", "All"],
        ["First contact target (working days)", "10"],
        ["Figures as at", "No figures have been produced yet."],
    ]
    figures = rows[rows.index(["Month", "Received", "Accepted", "Accepted (%)"]) :]
    assert figures[1:5] == [
        ["January 2026", "10", "10", "75.0"],
        ["February 2026", "<5", "<5", "100.0"],
        ["March 2026", "10", "5", ""],
        ["Total", "25", "20", "73.1"],
    ]
    assert rows[10][0].startswith("To protect privacy, counts are rounded to the nearest 5")
    assert ["Counted by the month each referral was received."] in figures


def test_exports_hide_small_numbers_even_for_a_manager(client, coordinator, fake_dashboard):
    client.force_login(coordinator)
    rows = csv_rows(client.get("/reporting/export/gender.csv"))
    assert ["Anneuaidd ŵ", "<5"] in rows
    assert ["Woman", "20"] in rows and ["Man", "5"] in rows
    assert [call["suppress"] for call in fake_dashboard] == [True]


def test_carys_downloads_a_table_as_excel_with_numbers_as_numbers(
    client, coordinator, fake_dashboard
):
    client.force_login(coordinator)
    response = client.get(f"/reporting/export/funnel.xlsx{FILTERS}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "sp-funnel-2026-01-to-2026-03.xlsx" in response["Content-Disposition"]
    book = workbook(response)
    assert book.sheetnames == ["Referrals and how far they went"]
    sheet = book.active
    lines = [[cell for cell in row if cell is not None] for row in sheet.values]
    assert lines[0] == ["Referrals and how far they went"]
    assert ["From", "2026-01"] in lines and ["To", "2026-03"] in lines
    header = lines.index(["Month", "Received", "Accepted", "Accepted (%)"])
    assert lines[header + 1] == ["January 2026", 10, 10, 75.0]
    assert lines[header + 2] == ["February 2026", "<5", "<5", 100.0]
    assert lines[header + 4] == ["Total", 25, 20, 73.1]
    january = sheet.cell(row=header + 2, column=2)
    assert january.value == 10 and january.data_type == "n"


def test_everything_comes_as_one_workbook_with_a_sheet_per_table(
    client, commissioner, fake_dashboard
):
    client.force_login(commissioner)
    response = client.get(f"/reporting/export/all.xlsx{FILTERS}")
    assert response.status_code == 200
    assert "sp-all-2026-01-to-2026-03.xlsx" in response["Content-Disposition"]
    book = workbook(response)
    assert book.sheetnames == ["Referrals and how far they went", "Referrals by gender"]
    gender = [
        [cell for cell in row if cell is not None] for row in book["Referrals by gender"].values
    ]
    assert ["Counted for", "Teg Valley"] in gender
    assert ["Anneuaidd ŵ", "<5"] in gender


def test_an_unknown_table_is_not_found(client, coordinator, fake_dashboard):
    client.force_login(coordinator)
    assert client.get("/reporting/export/nothing.csv").status_code == 404
    assert client.get("/reporting/export/nothing.xlsx").status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_every_export_is_in_the_audit_trail(client, coordinator, fake_dashboard):
    client.force_login(coordinator)
    client.get(f"/reporting/export/funnel.csv{FILTERS}")
    client.get(f"/cy/reporting/export/all.xlsx{FILTERS}")
    events = list(AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).order_by("pk"))
    assert [event.actor for event in events] == [coordinator, coordinator]
    assert events[0].detail.startswith("reporting table=funnel csv; From=2026-01; To=2026-03")
    # In English whatever the reader's language, so the trail reads the same for everyone.
    assert events[1].detail.startswith("reporting table=all xlsx; From=2026-01; To=2026-03")
    assert events[0].object_type == "accounts.organisation"


def test_the_export_is_in_the_readers_language(client, coordinator, fake_dashboard):
    client.force_login(coordinator)
    response = client.get("/cy/reporting/export/funnel.csv")
    assert response.status_code == 200
    assert fake_dashboard[0]["suppress"] is True


@pytest.mark.parametrize("address", ["funnel.csv", "funnel.xlsx", "all.xlsx"])
@pytest.mark.parametrize("person", ["receptionist", "link_worker"])
def test_people_without_a_dashboard_may_not_export(
    client, request, person, address, fake_dashboard
):
    client.force_login(request.getfixturevalue(person))
    assert client.get(f"/reporting/export/{address}").status_code == 403
    assert fake_dashboard == []
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_a_stranger_is_asked_to_sign_in_before_exporting(client):
    response = client.get("/reporting/export/all.xlsx")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_an_export_reads_as_many_queries_for_many_referrals_as_for_few(
    client, coordinator, scheme, cluster, practice
):
    def queries_for_export():
        services.rollup_full()
        client.force_login(coordinator)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/reporting/export/all.xlsx").status_code == 200
        return len(queries)

    ReferralFactory(scheme=scheme, area=cluster, referring_organisation=practice)
    few = queries_for_export()
    for _ in range(6):
        ReferralFactory(scheme=scheme, area=cluster, referring_organisation=practice)
    assert queries_for_export() == few


def test_a_name_that_looks_like_a_formula_stays_text(client, coordinator, monkeypatch):
    """A provider called "=HYPERLINK(...)" must not become a live formula in Excel."""
    from reporting import selectors
    from reporting.tables import Column, Table

    def dashboard_tables(*, scope, filters, suppress=None):
        return [
            Table(
                key="connections_by_provider",
                title="Connections by provider",
                sentence="Connections made.",
                columns=[Column("provider", "Provider", "text"), Column("n", "Connections")],
                rows=[['=HYPERLINK("http://example.org","Click")', 10], ["+Men's Shed", 5]],
            )
        ]

    monkeypatch.setattr(selectors, "dashboard_tables", dashboard_tables)
    client.force_login(coordinator)
    rows = csv_rows(client.get("/reporting/export/connections_by_provider.csv"))
    assert ['\'=HYPERLINK("http://example.org","Click")', "10"] in rows
    assert ["'+Men's Shed", "5"] in rows
    book = workbook(client.get("/reporting/export/connections_by_provider.xlsx"))
    cells = [cell for row in book.active.iter_rows() for cell in row if cell.value]
    assert not [cell for cell in cells if cell.data_type == "f"]
    assert '\'=HYPERLINK("http://example.org","Click")' in [cell.value for cell in cells]


@pytest.mark.parametrize(
    "address",
    ["/reporting/export/funnel.csv", "/reporting/export/funnel.xlsx", "/reporting/export/all.xlsx"],
)
def test_no_cache_keeps_a_download(client, coordinator, fake_dashboard, address):
    """Issue 11, finding 8: files travel; at least browsers and proxies keep no copy."""
    client.force_login(coordinator)
    response = client.get(f"{address}{FILTERS}")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert "camera=()" in response["Permissions-Policy"]


def test_every_sheet_has_a_readable_name_of_its_own(
    client, commissioner, scheme, cluster, practice
):
    """Excel allows 31 characters: a long title gives way to the table's short name, never to
    a title cut mid-word ("Connections to community se (2)")."""
    ReferralFactory(scheme=scheme, area=cluster, referring_organisation=practice)
    services.rollup_full()
    client.force_login(commissioner)
    names = workbook(client.get("/reporting/export/all.xlsx")).sheetnames
    assert names == [
        "Referrals by month",
        "Referrals received by week",
        "Referrals by year",
        "Funnel",
        "Waiting time to first contact",
        "Waits by length",
        "Caseloads against capacity",
        "Referrals received by area",
        "Referrals received by scheme",
        "Reasons for referral",
        "Referrals by age band",
        "Referrals by gender",
        "Referrals by ethnic group",
        "Deprivation",
        "Connections by category",
        "Connections by provider",
        "Unmet needs by category",
        "Unmet needs by area",
        "Wellbeing outcomes",
    ]


def test_a_long_title_without_a_short_name_is_cut_after_a_whole_word():
    from reporting.exports import sheet_title

    taken = set()
    title = "Referrals that waited longest for their first contact, by area"
    first, second = sheet_title(title, taken), sheet_title(title, taken)
    assert first == "Referrals that waited longest"
    assert second == "Referrals that waited (2)"
    assert all(len(name) <= 31 for name in (first, second))
    assert sheet_title("Who? [draft]: *all*", taken) == "Who draft all"
