"""Queueing a Celery task by its name, so a service never imports its app's tasks module.

Tasks import services (they are thin wrappers); services queue tasks. Queueing
by name keeps that one-way (no services <-> tasks import cycle). Each app's
AppConfig.ready() imports its tasks module, so the name is known in every
process, the web one included, and in eager mode (tests, `make run`) the
signature runs the task at once.

Queueing happens while a person waits for a page, so it fails fast when the
broker is down (issue 18): one connection attempt, bounded by
CELERY_BROKER_CONNECTION_TIMEOUT, and no retry of the publish. Celery's own
connections would first retry for the whole timeout, and then the publish
three times more. Every caller has a fallback that needs no broker (the email
outbox's sweep on beat, a rollup given up for the next request), so a quick
failure loses nothing. Workers and beat keep Celery's patient defaults.
"""

import os
from typing import Any

from celery import current_app
from kombu.connection import ConnectionPool

# Passed to kombu: no reconnection loop before a publish.
FAIL_FAST = {"max_retries": 0}

_pool: ConnectionPool | None = None


def _connections() -> ConnectionPool:
    """This process's broker connections for queueing, made on first use."""
    global _pool
    if _pool is None:
        _pool = current_app.connection_for_write(transport_options=FAIL_FAST).Pool(
            limit=current_app.conf.broker_pool_limit
        )
    return _pool


def _forget_connections() -> None:
    # A forked child (a prefork worker, gunicorn --preload) must not share its parent's sockets.
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_connections)


def eager() -> bool:
    """Whether a queued task runs at once, in this process (tests, `make run`)."""
    return bool(current_app.conf.task_always_eager)


def enqueue(name: str, *args: Any, countdown: float | None = None) -> None:
    """Queue the task registered as `name`, to run no sooner than `countdown` seconds from
    now where given (at once in eager mode); raises at once when the broker cannot take it."""
    signature = current_app.signature(name, args=args)
    if eager():
        signature.delay()
        return
    # Waits for a free connection no longer than for the broker itself.
    timeout = current_app.conf.broker_connection_timeout
    with _connections().acquire(block=True, timeout=timeout) as connection:  # type: ignore[no-untyped-call]
        signature.apply_async(connection=connection, retry=False, countdown=countdown)
