"""Celery tasks: thin wrappers around services, safe to run twice."""

from celery import shared_task

from . import services


@shared_task(
    autoretry_for=(services.EmailNotSent,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=5,
)
def send_outbox_email(email_id):
    return services.outbox_email_send(email_id=email_id)


@shared_task
def resend_unsent_emails():
    """Run by Celery beat: whatever a broker or SMTP outage left unsent goes now."""
    return services.outbox_resend_unsent()
