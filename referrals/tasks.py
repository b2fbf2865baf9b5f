"""Celery beat jobs for referrals: thin wrappers around services, safe to run twice."""

from celery import shared_task

from . import services


@shared_task(name="referrals.send_notification_digests")
def send_notification_digests():
    """Each morning: whoever chose the daily digest gets one email of what is unread."""
    return services.notification_digests_send()
