"""Whether a Celery worker and beat are alive, from the heartbeats they write (issue 18).

Each process writes its own row (core.models.Heartbeat) in the database, and
/healthz reads them: a worker under `worker:<hostname>` when it is ready,
every HEARTBEAT_SECONDS while it is connected to the broker (Celery's
`heartbeat_sent` signal) and whenever it runs the heartbeat task; beat under
`beat` each time it queues that task, every HEARTBEAT_SECONDS (core/tasks.py
wires the signals). A worker that stops cleanly removes its row.

Not a broadcast ping: a ping goes through the broker and waits for answers,
so it cannot tell "the worker is dead" from "the broker is down", and it
makes every health check as slow as its timeout. A row costs /healthz one
query, and says when each process was last alive.

The processes write from their main loop, so a write never raises: a
database outage is logged, and shows on /healthz as the database being down.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from .models import Heartbeat

logger = logging.getLogger(__name__)

BEAT = "beat"
WORKER_PREFIX = "worker:"
# A worker's row not written for this long is removed by the heartbeat task: that
# worker was killed or scaled away, and no longer counts.
FORGET_AFTER = timedelta(days=1)


def worker_name(hostname: str) -> str:
    return f"{WORKER_PREFIX}{hostname}"


def heartbeat_record(*, name: str, now: datetime | None = None) -> None:
    """Note that the process called `name` is alive now."""
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": now or timezone.now()})


def heartbeat_forget(*, name: str) -> None:
    """Remove a process's row: it stopped cleanly and is not expected back under this name."""
    Heartbeat.objects.filter(name=name).delete()


def heartbeats_forget_gone(*, now: datetime | None = None) -> int:
    """Remove the rows of workers not seen for FORGET_AFTER. Returns how many."""
    cutoff = (now or timezone.now()) - FORGET_AFTER
    deleted, _by_model = Heartbeat.objects.filter(
        name__startswith=WORKER_PREFIX, seen_at__lt=cutoff
    ).delete()
    return deleted


def heartbeat_record_quietly(*, name: str) -> None:
    """heartbeat_record, from a worker's or beat's own loop: never raises (see _quietly)."""
    _quietly(heartbeat_record, name)


def heartbeat_forget_quietly(*, name: str) -> None:
    """heartbeat_forget, from a worker's own loop as it stops: never raises."""
    _quietly(heartbeat_forget, name)


def _quietly(write: Callable[..., None], name: str) -> None:
    # These loops run for days with no request to tidy their database connection, so one
    # the server dropped is replaced first; and an outage is logged, never raised into Celery.
    try:
        if not connection.in_atomic_block:  # never inside a transaction (tests run in one)
            close_old_connections()
        write(name=name)
    except DatabaseError as error:
        logger.warning("Heartbeat of %s not written: %s", name, error)


def heartbeats_read(*, now: datetime | None = None) -> dict[str, Any]:
    """The worker and beat as /healthz reports them (README, "What /healthz says").

    `worker` is "ok" when at least one worker wrote within HEARTBEAT_STALE_SECONDS,
    else "stale"; `workers` counts those that did; `beat` likewise. The `*_seen_at`
    fields give the latest heartbeat (ISO 8601), or None when there never was one.
    """
    now = now or timezone.now()
    fresh_since = now - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS)
    workers: list[datetime] = []
    beat: list[datetime] = []
    for name, seen_at in Heartbeat.objects.values_list("name", "seen_at"):
        if name.startswith(WORKER_PREFIX):
            workers.append(seen_at)
        elif name == BEAT:
            beat.append(seen_at)
    return {
        "worker": _state(workers, fresh_since),
        "workers": sum(seen_at >= fresh_since for seen_at in workers),
        "worker_seen_at": _latest(workers),
        "beat": _state(beat, fresh_since),
        "beat_seen_at": _latest(beat),
    }


def _state(seen: list[datetime], fresh_since: datetime) -> str:
    return "ok" if seen and max(seen) >= fresh_since else "stale"


def _latest(seen: list[datetime]) -> str | None:
    return max(seen).isoformat() if seen else None
