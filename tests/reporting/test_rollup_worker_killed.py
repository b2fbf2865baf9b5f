"""A real Celery worker killed by SIGKILL during a full and an incremental rollup (issue 18).

The worker is a process of its own (`celery -A config worker --pool=solo`, so the run is in
that very process) on a redis-server this test starts on a private port, against the test
database. The test holds a lock on the caseload table, so the run stops at its last step,
inside the transaction that writes its figures (for a full run: live facts replaced and cubes
summed, not yet committed), and the worker is killed there. Then: the figures are the ones
before the run, the run is given up once its heartbeat stops, a new worker's incremental
run gives exactly the figures of a full run: nothing lost, nothing doubled.
"""

from datetime import timedelta
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from referrals.models import Referral
from reporting.models import ReferralCube, RollupRun
from reporting.services import rollup_full, rollup_request, rollup_runs_give_up
from tests.factories import ReferralFactory
from tests.outage import (
    CeleryWorker,
    RedisServer,
    broker_at,
    database_url,
    needs_redis_server,
    wait_for,
)
from tests.reporting.test_rollup import every_cube, settle
from tests.reporting.test_rollup_kills import change_things, every_fact, staging_tables

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.fault,
    pytest.mark.django_db(transaction=True),
    needs_redis_server,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="the worker is another process and must share the test database: "
        "run with DATABASE_URL pointing at PostgreSQL (CI does)",
    ),
]


def solo_worker(broker_url: str, directory: Path) -> CeleryWorker:
    """A worker whose run is in the worker's own process, so a kill stops it mid-step."""
    return CeleryWorker(
        broker_url, directory, pool="solo", args=["--without-gossip"],
        env={"REPORTING_ROLLUP_HEARTBEAT_SECONDS": "1", "REPORTING_ROLLUP_CHUNK": "5"},
    )  # fmt: skip


def lock_caseloads():
    """Another session holding the caseload table: a run waits at its last step."""
    locker = psycopg2.connect(database_url(), connect_timeout=5)
    locker.autocommit = False
    with locker.cursor() as cursor:
        cursor.execute("LOCK TABLE reporting_linkworkerload IN ACCESS EXCLUSIVE MODE")
    return locker


def waiting_on_the_lock() -> bool:
    """A session of the test database waits for a lock. Asked from the test's own session
    (autocommit): within the locker's transaction, pg_stat_activity stays a snapshot."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


def heartbeat(run_id: int):
    return RollupRun.objects.values_list("heartbeat_at", flat=True).get(pk=run_id)


def run_state(run_id: int) -> str:
    return RollupRun.objects.values_list("state", flat=True).get(pk=run_id)


@pytest.mark.parametrize("kind", [RollupRun.Kind.FULL, RollupRun.Kind.INCREMENTAL])
def test_a_worker_killed_during_a_rollup_loses_and_doubles_nothing(
    known_data, scheme, kind, tmp_path, settings
):
    ReferralFactory.create_batch(20, scheme=scheme, received_at=known_data["r1"].received_at)
    settle()
    rollup_full()
    change_things(known_data, scheme)
    cubes_before, facts_before = every_cube(), every_fact()

    redis = RedisServer(tmp_path)
    redis.start()
    worker = solo_worker(redis.url(), tmp_path)
    locker = lock_caseloads()
    try:
        with broker_at(redis.url()):
            run, _created = rollup_request(kind=kind)
        wait_for(
            lambda: waiting_on_the_lock() or run_state(run.pk) in ("done", "failed"),
            seconds=60,
            what="the run's last step",
        )
        assert waiting_on_the_lock(), (run_state(run.pk), worker.said()[-3000:])
        assert run_state(run.pk) == RollupRun.State.RUNNING
        # The run's own thread goes on beating while it waits (every second here).
        first_beat = heartbeat(run.pk)
        wait_for(lambda: heartbeat(run.pk) != first_beat, seconds=10, what="another heartbeat")
        assert heartbeat(run.pk) > timezone.now() - timedelta(seconds=3)

        worker.kill()
        locker.rollback()  # the killed worker's session goes on, finds its client gone, rolls back
        wait_for(lambda: not waiting_on_the_lock(), seconds=20, what="the lock released")
        wait_for(lambda: every_cube() == cubes_before, seconds=20, what="the figures from before")
        assert every_fact() == facts_before
        assert run_state(run.pk) == RollupRun.State.RUNNING  # nobody told it

        # Its heartbeat stops: given up within the dead interval (shortened here).
        settings.REPORTING_ROLLUP_DEAD_SECONDS = 2
        wait_for(lambda: rollup_runs_give_up() == 1, seconds=20, what="the run given up")
        assert run_state(run.pk) == RollupRun.State.FAILED

        # A new worker; the next incremental run.
        change_things(known_data, scheme)
        worker = solo_worker(redis.url(), tmp_path)
        with broker_at(redis.url()):
            again, created = rollup_request(kind=RollupRun.Kind.INCREMENTAL)
        assert created
        wait_for(
            lambda: run_state(again.pk) in (RollupRun.State.DONE, RollupRun.State.FAILED),
            seconds=60,
            what="the incremental run",
        )
        assert run_state(again.pk) == RollupRun.State.DONE, worker.said()[-3000:]
    finally:
        locker.close()
        worker.stop()
        redis.stop()

    after_incremental = every_cube(), every_fact()
    received = sum(ReferralCube.objects.values_list("received", flat=True))
    assert received == Referral.objects.count()  # every referral once: none lost, none doubled
    rollup_full()
    assert (every_cube(), every_fact()) == after_incremental
    assert staging_tables() == []
