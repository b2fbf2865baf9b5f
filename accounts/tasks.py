"""Celery tasks of accounts: thin wrappers around the webhook services, safe to run twice."""

from celery import shared_task

from . import webhooks


@shared_task(name=webhooks.DELIVER_TASK)
def deliver_webhook(message_id: int) -> bool:
    return webhooks.webhook_deliver(message_id=message_id)


@shared_task(name=webhooks.SWEEP_TASK)
def deliver_due_webhooks() -> int:
    """Run by beat every minute: retries that fell due, failed enqueues, dead workers' claims."""
    return webhooks.webhooks_deliver_due()
