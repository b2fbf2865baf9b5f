"""Celery tasks every app shares: thin wrappers around core services, safe to run twice.

Also the heartbeats /healthz reads (core/heartbeat.py): Celery's own signals,
connected here because this module is imported in every process (CoreConfig.ready).
"""

import time
from typing import Any

from celery import shared_task
from celery.signals import (
    beat_init,
    before_task_publish,
    heartbeat_sent,
    worker_ready,
    worker_shutdown,
)
from django.conf import settings

from . import heartbeat, outbox

HEARTBEAT_TASK = "core.heartbeat"

SEND_RETRY = {
    "autoretry_for": (outbox.EmailNotSent,),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name=outbox.SEND_TASK, **SEND_RETRY)
def send_outbox_email(email_id: int) -> bool:
    return outbox.outbox_email_send(email_id=email_id)


@shared_task(name=outbox.SEND_WAITING_TASK)
def send_waiting_emails() -> int:
    """Queued by the outbox's doorbell: every email not yet tried goes now."""
    return outbox.outbox_send_waiting()


@shared_task(name=outbox.RESEND_TASK)
def resend_unsent_emails() -> int:
    """Run by Celery beat: whatever a broker or SMTP outage left unsent goes now."""
    return outbox.outbox_resend_unsent()


# The names these tasks had when the outbox was referrals'. A message queued
# before a deploy (a send, or a beat run) may still carry them: the worker must
# know them, or it would drop those messages. Nothing queues them any more.
@shared_task(name="referrals.tasks.send_outbox_email", **SEND_RETRY)
def send_outbox_email_old_name(email_id: int) -> bool:
    return outbox.outbox_email_send(email_id=email_id)


@shared_task(name="referrals.tasks.resend_unsent_emails")
def resend_unsent_emails_old_name() -> int:
    return outbox.outbox_resend_unsent()


# Heartbeats (core/heartbeat.py) ---------------------------------------------------------------


@shared_task(name=HEARTBEAT_TASK, bind=True)
def heartbeat_task(self: Any) -> None:
    """Queued by beat every HEARTBEAT_SECONDS; the worker that runs it is alive and consuming."""
    heartbeat.heartbeat_record(name=heartbeat.worker_name(self.request.hostname))
    heartbeat.heartbeats_forget_gone()


class _WorkerHeartbeat:
    """The worker's row, written at most every HEARTBEAT_SECONDS from Celery's 2-second pulse."""

    last_written = float("-inf")

    @classmethod
    def write(cls, hostname: str) -> None:
        cls.last_written = time.monotonic()
        heartbeat.heartbeat_record_quietly(name=heartbeat.worker_name(hostname))

    @classmethod
    def write_if_due(cls, hostname: str) -> None:
        if time.monotonic() - cls.last_written >= settings.HEARTBEAT_SECONDS:
            cls.write(hostname)


@worker_ready.connect
def _worker_ready(sender: Any, **kwargs: Any) -> None:
    _WorkerHeartbeat.write(sender.hostname)


@heartbeat_sent.connect
def _worker_pulse(sender: Any, **kwargs: Any) -> None:
    # Sent by the worker's event heartbeat, which runs only while it is connected to the broker.
    _WorkerHeartbeat.write_if_due(sender.eventer.hostname)


@worker_shutdown.connect
def _worker_gone(sender: Any, **kwargs: Any) -> None:
    heartbeat.heartbeat_forget_quietly(name=heartbeat.worker_name(sender.hostname))


class _Beat:
    running_here = False


@beat_init.connect
def _beat_started(sender: Any, **kwargs: Any) -> None:
    _Beat.running_here = True


@before_task_publish.connect
def _beat_pulse(sender: str | None = None, **kwargs: Any) -> None:
    # Beat's own row, written as it queues the heartbeat task: beat is alive even when no
    # worker is there to run it.
    if _Beat.running_here and sender == HEARTBEAT_TASK:
        heartbeat.heartbeat_record_quietly(name=heartbeat.BEAT)
