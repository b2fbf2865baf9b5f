"""Celery tasks for data protection: thin wrappers that call services."""

from celery import shared_task

from .services.retention import retention_apply


@shared_task(name="privacy.apply_retention")
def apply_retention():
    """Each night by beat: erase the people whose every referral passed its retention period."""
    return len(retention_apply())
