"""Celery tasks: thin wrappers around services, safe to run twice."""

from celery import shared_task

from . import services


@shared_task(name="linkworkers.connection_reminders")
def connection_reminders():
    """Run daily by beat: remind providers at 7 days, decline at 14, refresh listing figures."""
    reminded, declined = services.connections_remind_and_expire()
    services.connection_stats_refresh_all()
    return {"reminded": reminded, "declined": declined}
