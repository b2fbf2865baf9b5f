"""Reads that may go to a read replica (README, "Scaling out").

With DATABASE_REPLICA_URL set, the statistics pages read their figures from a
streaming replica, so a commissioner's heavy dashboard never slows a link
worker's page. Only reads inside `replica_reads()` go there: everything else,
every write, and every read inside a transaction stays on the primary, so a
service never decides on a copy that may be seconds old.

The replica is used only while it answers and is at most
DATABASE_REPLICA_MAX_LAG_SECONDS behind (checked at most every
REPLICA_CHECK_SECONDS in each process); otherwise the reads go to the primary,
with one log line: a replica outage slows the dashboards, it never breaks them.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY = "default"
# How long a replica's state (answering, lag) is trusted before it is checked again.
REPLICA_CHECK_SECONDS = 10.0

_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)
_checked: dict[str, Any] = {"at": None, "usable": False}


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def _lag_seconds() -> float | None:
    """How far the replica is behind, or None when it has replayed everything it was sent."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN NULL "
            "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
        )
        row = cursor.fetchone()
    return None if row is None or row[0] is None else float(row[0])


def _close_replica() -> None:
    with suppress(DatabaseError):
        connections[REPLICA].close()


def replica_usable(*, now: float | None = None) -> bool:
    """True when the replica answers and is not too far behind (checked now and then)."""
    if not replica_configured():
        return False
    now = time.monotonic() if now is None else now
    if _checked["at"] is not None and now - _checked["at"] < REPLICA_CHECK_SECONDS:
        return bool(_checked["usable"])
    try:
        lag = _lag_seconds()
        usable = lag is None or lag <= settings.DATABASE_REPLICA_MAX_LAG_SECONDS
        if not usable:
            logger.warning("Read replica is %.0f s behind: reading from the primary", lag)
    except DatabaseError:
        logger.warning("Read replica out of reach: reading from the primary")
        _close_replica()
        usable = False
    _checked.update(at=now, usable=usable)
    return usable


def replica_forget_state() -> None:
    """Check the replica afresh on next use (tests)."""
    _checked.update(at=None, usable=False)


@contextmanager
def replica_reads() -> Iterator[bool]:
    """Reads inside go to the replica when one is usable; yields whether they do."""
    usable = replica_usable()
    token = _reading_from_replica.set(usable)
    try:
        yield usable
    finally:
        _reading_from_replica.reset(token)


class ReplicaRouter:
    """DATABASE_ROUTERS: reads inside replica_reads() to the replica, all else to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        if _reading_from_replica.get() and not connections[PRIMARY].in_atomic_block:
            return REPLICA
        return PRIMARY

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # The replica is a copy of the primary: an object read from either is the same row.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY
