"""Carys and Catrin read their dashboards: a chart, a sentence and a table for each statistic."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reporting import services
from reporting.models import RollupRun
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


def chart_data(html, key):
    script = rf'<script id="chart-data-{key}" type="application/json">(.*?)</script>'
    match = re.search(script, html)
    assert match, f"no chart data for {key}"
    return json.loads(match.group(1))


def section(html, key):
    start = html.index(f'data-testid="table-{key}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_carys_sees_each_table_with_its_sentence_its_figures_and_its_chart(
    client, coordinator, fake_dashboard
):
    client.force_login(coordinator)
    response = client.get("/reporting/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Statistics: Teg Valley Community Connectors</h1>" in html
    funnel = section(html, "funnel")
    assert '<h2 id="funnel-title">Referrals and how far they went</h2>' in funnel
    assert "Of 26 referrals received, 19 were accepted." in funnel
    assert '<canvas role="img" aria-label="Of 26 referrals received, 19 were accepted."' in funnel
    assert "<caption" in funnel and '<th scope="col" class="text-end">Received</th>' in funnel
    assert '<th scope="row">January 2026</th><td class="text-end">12</td>' in funnel
    assert '<td class="text-end">75.0%</td>' in funnel
    assert "<tfoot>" in funnel
    assert '<th scope="row">Total</th><td class="text-end">26</td>' in funnel
    assert "Counted by the month each referral was received." in funnel
    assert chart_data(html, "funnel") == {
        "type": "bar",
        "stacked": False,
        "horizontal": False,
        "percent": False,
        "labels": ["January 2026", "February 2026", "March 2026"],
        "datasets": [
            {"label": "Received", "data": [12, 3, 11]},
            {"label": "Accepted", "data": [9, 3, 7]},
        ],
    }
    gender = section(html, "gender")
    assert "Most people referred were women." in gender
    assert "<canvas" not in gender  # no chart: the table takes the whole width
    assert '<th scope="row">Anneuaidd ŵ</th><td class="text-end">1</td>' in gender
    assert "vendor/chartjs/chart.umd.min.js" in html and "reporting/dashboard.js" in html


def test_carys_sees_exact_counts_and_a_gap_where_there_is_no_figure(
    client, coordinator, fake_dashboard
):
    client.force_login(coordinator)
    html = client.get("/reporting/").content.decode()
    assert fake_dashboard[0]["suppress"] is None
    assert "<abbr" not in section(html, "funnel")
    assert '<span class="visually-hidden">no figure</span>' in section(html, "funnel")


def test_catrin_sees_small_numbers_as_less_than_five_and_the_chart_leaves_a_gap(
    client, commissioner, fake_dashboard
):
    client.force_login(commissioner)
    html = client.get("/reporting/").content.decode()
    assert "<h1>Statistics: Teg Valley</h1>" in html
    abbr = '<abbr title="fewer than 5, hidden to protect privacy">&lt;5</abbr>'
    assert f'<th scope="row">February 2026</th><td class="text-end">{abbr}</td>' in html
    assert f'<th scope="row">Anneuaidd ŵ</th><td class="text-end">{abbr}</td>' in html
    # Every other count is rounded to the nearest 5, so no subtraction gives a hidden one away.
    assert '<th scope="row">January 2026</th><td class="text-end">10</td>' in html
    assert '<th scope="row">Total</th><td class="text-end">25</td>' in html
    assert chart_data(html, "funnel")["datasets"][0]["data"] == [10, None, 10]
    assert "counts are rounded to the nearest 5" in html


def test_the_filters_are_a_get_form_and_say_what_was_counted(client, coordinator, fake_dashboard):
    client.force_login(coordinator)
    html = client.get("/reporting/?start=2026-01&end=2026-03").content.decode()
    assert '<form method="get"' in html and 'name="start"' in html and ">Show</button>" in html
    described = html[html.index('data-testid="filters-described"') :]
    assert "<dt>From</dt><dd>2026-01</dd>" in described
    assert "<dt>To</dt><dd>2026-03</dd>" in described
    filters = fake_dashboard[0]["filters"]
    assert (filters.start.isoformat(), filters.end.isoformat()) == ("2026-01-01", "2026-03-01")


def test_the_download_links_carry_the_filters(client, coordinator, fake_dashboard):
    client.force_login(coordinator)
    html = client.get("/reporting/?start=2026-01&end=2026-03").content.decode()
    query = "?start=2026-01&amp;end=2026-03"
    assert f'href="/reporting/export/funnel.csv{query}"' in html
    assert f'href="/reporting/export/funnel.xlsx{query}"' in html
    assert f'href="/reporting/export/gender.csv{query}"' in html
    assert f'href="/reporting/export/all.xlsx{query}"' in html
    assert "Download everything (Excel)" in html


def test_before_any_run_the_page_starts_the_first_and_says_so(client, coordinator, fake_dashboard):
    client.force_login(coordinator)
    html = client.get("/reporting/").content.decode()
    assert "No figures yet: they are being worked out now." in html
    run = RollupRun.objects.get()
    assert (run.kind, run.requested_by) == (RollupRun.Kind.INCREMENTAL, coordinator)
    assert f'data-run-status="/reporting/runs/{run.uuid}/"' in html
    assert 'action="/reporting/refresh/"' in html
    assert '<input type="hidden" name="next" value="/reporting/">' in html


def test_when_no_run_can_start_the_page_says_to_refresh(
    client, coordinator, fake_dashboard, monkeypatch
):
    from reporting import services as reporting_services

    monkeypatch.setattr(
        reporting_services, "rollup_refresh_if_stale", lambda **kwargs: None, raising=True
    )
    client.force_login(coordinator)
    html = client.get("/reporting/").content.decode()
    assert "No figures yet: refresh them." in html
    assert "<progress" not in html


def test_the_page_says_when_the_figures_were_produced(client, coordinator, fake_dashboard):
    finished = timezone.make_aware(timezone.datetime(2026, 3, 2, 9, 15))
    RollupRun.objects.create(
        kind=RollupRun.Kind.FULL,
        state=RollupRun.State.DONE,
        in_flight=None,
        progress=100,
        created_at=finished - timedelta(minutes=1),
        finished_at=finished,
    )
    client.force_login(coordinator)
    html = client.get("/reporting/").content.decode()
    assert '<p class="figures-as-at" data-testid="figures-as-at">' in html
    assert "Figures as at 2 March 2026, 09:15." in html
    # Those figures are old: newer ones are on their way, and the page says so.
    assert "Newer figures are being worked out." in html and "<progress" in html


def test_a_run_under_way_shows_its_progress(client, coordinator, fake_dashboard):
    run = RollupRun.objects.create(
        kind=RollupRun.Kind.INCREMENTAL,
        state=RollupRun.State.RUNNING,
        progress=40,
        created_at=timezone.now(),
    )
    client.force_login(coordinator)
    html = client.get("/reporting/?start=2026-01").content.decode()
    assert '<progress id="refresh-progress" max="100" value="40">' in html
    assert '<label for="refresh-progress"' in html
    assert 'role="status" aria-live="polite"' in html and "Running (40%)" in html
    assert f'data-run-status="/reporting/runs/{run.uuid}/"' in html
    assert '<input type="hidden" name="next" value="/reporting/?start=2026-01">' in html


@pytest.mark.django_db(transaction=True)
def test_refreshing_comes_back_saying_the_figures_were_refreshed(client, coordinator, scheme):
    # Celery runs eagerly in the tests, as in the demo, and the run is queued on commit
    # (real commits here): it is over within the request.
    client.force_login(coordinator)
    response = client.post("/reporting/refresh/", {"next": "/reporting/?start=2026-01"})
    assert response.status_code == 302
    assert response.url == "/reporting/?start=2026-01#refresh"
    html = client.get(response.url).content.decode()
    assert "Figures refreshed." in html
    assert "Figures as at" in html and "<progress" not in html


def test_the_run_status_answers_in_json(client, coordinator):
    run = RollupRun.objects.create(
        kind=RollupRun.Kind.INCREMENTAL, progress=10, created_at=timezone.now()
    )
    client.force_login(coordinator)
    answer = client.get(f"/reporting/runs/{run.uuid}/").json()
    assert answer == {
        "state": "queued",
        "state_label": "Waiting to start",
        "progress": 10,
        "finished": False,
    }


def test_the_page_is_in_welsh_under_cy(client, coordinator, fake_dashboard):
    client.force_login(coordinator)
    response = client.get("/cy/reporting/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="cy">' in html
    assert 'href="/cy/reporting/export/funnel.csv"' in html
    assert 'action="/cy/reporting/refresh/"' in html
    assert '<input type="hidden" name="next" value="/cy/reporting/">' in html


@pytest.mark.parametrize("person", ["receptionist", "link_worker"])
def test_people_without_a_dashboard_are_refused(client, request, person, fake_dashboard):
    client.force_login(request.getfixturevalue(person))
    assert client.get("/reporting/").status_code == 403
    assert client.post("/reporting/refresh/").status_code == 403
    assert fake_dashboard == []


def test_a_stranger_is_asked_to_sign_in(client):
    response = client.get("/reporting/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=/reporting/")


def test_the_home_pages_and_the_menu_lead_to_the_dashboard(client, coordinator, commissioner):
    for person in (coordinator, commissioner):
        client.force_login(person)
        html = client.get("/").content.decode()
        assert html.count('href="/reporting/"') == 2  # the menu and the home page
        assert "No statistics have been produced yet." not in html


def test_the_page_reads_as_many_queries_for_many_referrals_as_for_few(
    client, coordinator, scheme, cluster, practice
):
    """The page reads the cubes, never the referrals: its queries do not grow with them."""

    def queries_for_page():
        services.rollup_full()
        client.force_login(coordinator)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/reporting/").status_code == 200
        return len(queries)

    ReferralFactory(scheme=scheme, area=cluster, referring_organisation=practice)
    few = queries_for_page()
    for _ in range(6):
        ReferralFactory(scheme=scheme, area=cluster, referring_organisation=practice)
    assert queries_for_page() == few
