"""Rollup runs killed part way (issue 18, point 3): nothing live changes, the run is given up
within minutes, and the incremental run after it gives the figures a full run gives.

A worker killed by SIGKILL runs no except clause and no finally: `Killed` (a BaseException,
which rollup_execute does not catch) stands for it here, raised at each point of a run.
The transactions it interrupts roll back, as the killed process's connection would.
"""

import threading
from datetime import UTC, datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone

from reporting import services
from reporting.models import ConnectionFact, OutcomeFact, ReferralFact, RollupRun, UnmetNeedFact
from reporting.services import (
    rollup_execute,
    rollup_full,
    rollup_incremental,
    rollup_request,
    rollup_run_abandon,
    rollup_runs_give_up,
)
from tests.factories import ReferralFactory, UnmetNeedFactory
from tests.reporting.test_rollup import every_cube, settle

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    """SIGKILL: nothing in the process sees it coming."""


def every_fact():
    found = {}
    for model in (ReferralFact, ConnectionFact, UnmetNeedFact, OutcomeFact):
        rows = [
            tuple(sorted((k, str(v)) for k, v in row.items() if k != "id"))
            for row in model.objects.values()
        ]
        found[model.__name__] = sorted(rows)
    return found


def staging_tables():
    return [
        name for name in connection.introspection.table_names() if services.STAGING_INFIX in name
    ]


def killed_at(name, call=1):
    """services.<name> kills the run on its `call`th call (the calls before it do their work)."""
    real = getattr(services, name)
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] >= call:
            raise Killed(name)
        return real(*args, **kwargs)

    return mock.patch.object(services, name, dying)


def change_things(known_data, scheme):
    """Work done while the figures stand: a new referral, a closure, an unmet need."""
    ReferralFactory(scheme=scheme, received_at=known_data["r1"].received_at, reasons=["money"])
    r2 = known_data["r2"]
    r2.status, r2.closure_reason, r2.closed_at = "closed", "completed", timezone.now()
    r2.save()
    UnmetNeedFactory(referral=known_data["r1"], category=known_data["gardening"],
                     recorded_at=timezone.now())  # fmt: skip


FULL_POINTS = [
    ("_write_facts", 1),  # the first step of the staging tables
    ("_write_facts", 3),  # after two steps were written and committed
    ("_staging_swap_in", 1),  # the swap, before the live facts are replaced
    ("_rebuild_cubes", 1),  # the swap, live facts replaced, cubes not yet
    ("_rebuild_loads", 1),  # the swap, cubes rebuilt
    ("_finish", 1),  # all written, not yet marked done
]
INCREMENTAL_POINTS = [
    ("_replace_facts", 1),
    ("_apply_changes", 1),
    ("_rebuild_loads", 1),
    ("_finish", 1),
]


@pytest.mark.parametrize(
    ("kind", "point", "call"),
    [(RollupRun.Kind.FULL, *p) for p in FULL_POINTS]
    + [(RollupRun.Kind.INCREMENTAL, *p) for p in INCREMENTAL_POINTS],
)
def test_a_run_killed_anywhere_changes_nothing_and_the_next_incremental_run_is_right(
    known_data, scheme, kind, point, call
):
    settle()
    rollup_full()
    change_things(known_data, scheme)
    cubes_before, facts_before = every_cube(), every_fact()

    run, _created = rollup_request(kind=kind, enqueue=False)
    with mock.patch.object(services, "CHUNK", 2), killed_at(point, call), pytest.raises(Killed):
        rollup_execute(run_id=run.pk)

    # The worker is gone: the run says running, and the figures are the ones before it.
    run.refresh_from_db()
    assert (run.state, run.in_flight) == (RollupRun.State.RUNNING, True)
    assert every_cube() == cubes_before
    assert every_fact() == facts_before

    # Nobody can start a run until it is given up; a few minutes without a heartbeat does it.
    RollupRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=3))
    change_things(known_data, scheme)  # and more work meanwhile
    incremental = rollup_incremental()
    run.refresh_from_db()
    assert run.state == RollupRun.State.FAILED
    assert "heartbeat" in run.error
    assert incremental.state == RollupRun.State.DONE

    # The incremental run's figures are a full run's: nothing lost, nothing doubled.
    after_incremental = every_cube(), every_fact()
    rollup_full()
    assert (every_cube(), every_fact()) == after_incremental
    assert staging_tables() == []  # the full run dropped what the killed one left


def test_a_run_is_given_up_only_once_its_heartbeat_stops(known_data, settings):
    settings.REPORTING_ROLLUP_DEAD_SECONDS = 120
    settings.REPORTING_ROLLUP_QUEUED_SECONDS = 900
    now = timezone.now()
    running = RollupRun.objects.create(
        kind=RollupRun.Kind.FULL, state=RollupRun.State.RUNNING,
        created_at=now - timedelta(hours=1),
        started_at=now - timedelta(hours=1), heartbeat_at=now - timedelta(seconds=30),
    )  # fmt: skip
    assert rollup_runs_give_up(now=now) == 0  # an hour in, but alive
    assert rollup_runs_give_up(now=now + timedelta(seconds=151)) == 1
    running.refresh_from_db()
    assert (running.state, running.in_flight) == (RollupRun.State.FAILED, None)

    queued = RollupRun.objects.create(kind=RollupRun.Kind.INCREMENTAL, created_at=now)
    assert rollup_runs_give_up(now=now + timedelta(minutes=10)) == 0  # a busy worker
    assert rollup_runs_give_up(now=now + timedelta(minutes=16)) == 1
    queued.refresh_from_db()
    assert queued.error == "Given up: no worker took it."


def test_a_dashboard_does_not_wait_on_a_dead_run(known_data):
    """The page gives the dead run up and starts another (the run was requested 20 minutes
    ago: a run that failed within the incremental interval is not retried by pages)."""
    RollupRun.objects.create(
        kind=RollupRun.Kind.FULL, state=RollupRun.State.RUNNING,
        created_at=timezone.now() - timedelta(minutes=20),
        heartbeat_at=timezone.now() - timedelta(minutes=5),
    )  # fmt: skip
    with mock.patch("reporting.services.queue_task"):
        run = services.rollup_refresh_if_stale()
    assert run is not None and run.state == RollupRun.State.QUEUED


@pytest.mark.parametrize("kind", [RollupRun.Kind.FULL, RollupRun.Kind.INCREMENTAL])
@pytest.mark.django_db(transaction=True)
def test_a_run_given_up_while_its_worker_still_works_discards_its_work(known_data, scheme, kind):
    """An operator (another connection) abandons the run while its worker is in its last
    transaction: the worker finds out at the end and rolls its figures back."""
    if connection.vendor != "postgresql":
        pytest.skip("another connection writing during the run's transaction: PostgreSQL")
    settle()
    rollup_full()
    change_things(known_data, scheme)
    cubes_before = every_cube()
    run, _created = rollup_request(kind=kind, enqueue=False)
    real = services._rebuild_loads

    def abandoned_meanwhile():
        def operator():
            try:
                rollup_run_abandon(run_id=run.pk)
            finally:
                connections.close_all()

        elsewhere = threading.Thread(target=operator)
        elsewhere.start()
        elsewhere.join(timeout=30)
        real()

    with mock.patch.object(services, "_rebuild_loads", abandoned_meanwhile):
        rollup_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.state == RollupRun.State.FAILED
    assert run.error == "Abandoned by an operator."
    assert every_cube() == cubes_before
    assert staging_tables() == []


def test_the_rollup_runs_command_lists_and_abandons(known_data):
    done = rollup_full()
    stuck = RollupRun.objects.create(
        kind=RollupRun.Kind.INCREMENTAL, state=RollupRun.State.RUNNING,
        created_at=timezone.now(), started_at=timezone.now(), heartbeat_at=timezone.now(),
    )  # fmt: skip
    out = StringIO()
    call_command("rollup_runs", stdout=out)
    listing = out.getvalue()
    assert f"{stuck.pk}  incremental  running" in listing
    assert f"{done.pk}  full         done" in listing

    call_command("rollup_runs", "--abandon", str(stuck.pk), stdout=out)
    stuck.refresh_from_db()
    assert (stuck.state, stuck.in_flight) == (RollupRun.State.FAILED, None)
    assert rollup_incremental().state == RollupRun.State.DONE

    with pytest.raises(CommandError, match="--abandon: run .* is not queued or running"):
        call_command("rollup_runs", "--abandon", str(done.pk), stdout=out)
    with pytest.raises(CommandError, match="--abandon: run 999999 is not queued or running"):
        call_command("rollup_runs", "--abandon", "999999", stdout=out)


def test_a_full_run_builds_beside_the_live_tables(known_data, scheme):
    """While a full run fills its staging tables, the live facts and cubes are the old ones."""
    settle()
    rollup_full()
    ReferralFactory(scheme=scheme, received_at=datetime(2026, 3, 3, 12, tzinfo=UTC))
    cubes_before = every_cube()
    seen = {}
    real = services._staging_swap_in

    def look_first(run_id):
        seen["staged"] = staging_tables()
        seen["cubes"] = every_cube()
        seen["facts"] = ReferralFact.objects.count()
        real(run_id)

    with mock.patch.object(services, "_staging_swap_in", look_first):
        rollup_full()
    assert len(seen["staged"]) == 4
    assert seen["cubes"] == cubes_before
    assert seen["facts"] == 6
    assert ReferralFact.objects.count() == 7
