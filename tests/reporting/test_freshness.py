"""Carys opens her dashboard: figures older than the incremental interval refresh themselves.

The interval is REPORTING_ROLLUP_INCREMENTAL_MINUTES (15): the beat schedule's,
so a dashboard is never more than one interval behind when someone reads it.
"""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from reporting import services
from reporting.models import ReferralFact, RollupRun
from tests.factories import ReferralFactory
from tests.reporting import ui_stories

cluster = ui_stories.cluster
coordinator = ui_stories.coordinator
english = ui_stories.english
fast_password_hashing = ui_stories.fast_password_hashing
practice = ui_stories.practice
scheme = ui_stories.scheme

pytestmark = pytest.mark.django_db


def finished(minutes_ago):
    """A run that finished `minutes_ago`."""
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return RollupRun.objects.create(
        kind=RollupRun.Kind.INCREMENTAL, state=RollupRun.State.DONE, in_flight=None,
        progress=100, created_at=at - timedelta(minutes=1), started_at=at, finished_at=at,
    )  # fmt: skip


def at_once(work, *args, **kwargs):
    """A page runs outside a transaction, so its on-commit work is done at once; the test's
    own transaction would hold it back until the test ended."""
    work()


@pytest.fixture
def queued():
    """The Celery queue, recorded instead of reached."""
    with (
        mock.patch.object(services, "queue_task") as queue,
        mock.patch.object(services.transaction, "on_commit", at_once),
    ):
        yield queue


@pytest.fixture
def counted(scheme, cluster, practice):
    """A referral, and the facts of a run that counted it."""
    ReferralFactory(scheme=scheme, area=cluster, referring_organisation=practice)
    services.rollup_full()
    RollupRun.objects.all().delete()
    assert ReferralFact.objects.exists()


def test_opening_a_stale_dashboard_starts_one_incremental_run(client, coordinator, counted, queued):
    finished(minutes_ago=20)
    client.force_login(coordinator)
    html = client.get("/reporting/").content.decode()
    run = RollupRun.objects.get(in_flight=True)
    assert (run.kind, run.state, run.requested_by) == (
        RollupRun.Kind.INCREMENTAL,
        RollupRun.State.QUEUED,
        coordinator,
    )
    queued.assert_called_once_with("reporting.rollup_run", run.pk)
    # The progress bar says so, and why.
    assert f'data-run-status="/reporting/runs/{run.uuid}/"' in html
    assert '<progress id="refresh-progress"' in html
    assert "more than 15 minutes old" in html
    assert "Newer figures are being worked out." in html


def test_a_fresh_dashboard_starts_none(client, coordinator, counted, queued):
    finished(minutes_ago=5)
    client.force_login(coordinator)
    html = client.get("/reporting/").content.decode()
    assert not RollupRun.objects.filter(in_flight=True).exists()
    queued.assert_not_called()
    assert "<progress" not in html


def test_two_opens_start_one_run(client, coordinator, counted, queued):
    finished(minutes_ago=20)
    client.force_login(coordinator)
    client.get("/reporting/")
    client.get("/reporting/?start=2026-01")
    assert RollupRun.objects.filter(in_flight=True).count() == 1
    assert RollupRun.objects.count() == 2  # the old one and the new one
    assert queued.call_count == 1


def test_the_interval_is_a_setting(client, coordinator, counted, queued, settings):
    settings.REPORTING_ROLLUP_INCREMENTAL_MINUTES = 60
    finished(minutes_ago=20)
    client.force_login(coordinator)
    client.get("/reporting/")
    queued.assert_not_called()


def test_emptied_rollup_tables_start_a_run_however_fresh(client, coordinator, counted, queued):
    """A migration that changes what the rollup holds empties it: the next open fills it."""
    finished(minutes_ago=1)
    ReferralFact.objects.all().delete()
    client.force_login(coordinator)
    client.get("/reporting/")
    queued.assert_called_once()


def test_a_broker_outage_leaves_the_page_working_and_no_run_stuck(client, coordinator, counted):
    finished(minutes_ago=20)
    client.force_login(coordinator)
    with (
        mock.patch.object(services, "queue_task", side_effect=ConnectionError("broker down")),
        mock.patch.object(services.transaction, "on_commit", at_once),
    ):
        response = client.get("/reporting/")
    assert response.status_code == 200
    assert "<progress" not in response.content.decode()
    given_up = RollupRun.objects.latest("created_at")
    assert (given_up.state, given_up.in_flight) == (RollupRun.State.FAILED, None)
    assert "broker down" in given_up.error


def test_the_figures_keep_what_they_were_when_nobody_asks(coordinator, counted, queued):
    """The check is made when a dashboard is opened, not by reading the figures elsewhere."""
    finished(minutes_ago=20)
    assert services.rollup_refresh_if_stale(requested_by=coordinator) is not None
    assert services.rollup_refresh_if_stale(requested_by=coordinator) == RollupRun.objects.get(
        in_flight=True
    )
    queued.assert_called_once()


@pytest.mark.django_db(transaction=True)
def test_with_celery_eager_the_page_opens_on_new_figures(
    client, coordinator, scheme, cluster, practice
):
    """As under `make run`: the run is over before the page is drawn, and the next open,
    finding fresh figures, starts no other."""
    ReferralFactory(scheme=scheme, area=cluster, referring_organisation=practice)
    client.force_login(coordinator)
    html = client.get("/reporting/").content.decode()
    run = RollupRun.objects.get()
    assert run.state == RollupRun.State.DONE
    assert "Figures as at" in html and "<progress" not in html
    client.get("/reporting/")
    assert RollupRun.objects.count() == 1


def test_after_a_failed_run_the_next_opens_do_not_try_again_at_once(
    client, coordinator, counted, queued
):
    finished(minutes_ago=20)
    RollupRun.objects.create(
        kind=RollupRun.Kind.INCREMENTAL, state=RollupRun.State.FAILED, in_flight=None,
        created_at=timezone.now() - timedelta(minutes=2), error="Could not be queued",
    )  # fmt: skip
    client.force_login(coordinator)
    client.get("/reporting/")
    queued.assert_not_called()
