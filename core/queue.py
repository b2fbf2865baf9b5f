"""Queueing a Celery task by its name, so a service never imports its app's tasks module.

Tasks import services (they are thin wrappers); services queue tasks. Queueing
by name keeps that one-way (no services <-> tasks import cycle). Each app's
AppConfig.ready() imports its tasks module, so the name is known in every
process, the web one included, and in eager mode (tests, `make run`) the
signature runs the task at once.
"""

from typing import Any

from celery import current_app


def enqueue(name: str, *args: Any) -> None:
    """Queue the task registered as `name`; raises when the broker cannot take it."""
    current_app.signature(name, args=args).delay()
