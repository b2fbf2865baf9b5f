"""Celery tasks every app shares: thin wrappers around core services, safe to run twice."""

from celery import shared_task

from . import outbox

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
