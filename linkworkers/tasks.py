"""Celery beat jobs for link workers: thin wrappers around services, safe to run twice."""

from celery import shared_task

from . import services


@shared_task(name="linkworkers.send_digests")
def send_digests():
    """Each morning: every link worker with something overdue gets one email listing it."""
    return services.digests_send()


@shared_task(name="linkworkers.notify_outcome_reviews")
def notify_outcome_reviews():
    """A baseline's review falls due OUTCOME_REVIEW_WEEKS on: its link worker is told, once."""
    return services.outcome_reviews_notify()


@shared_task(name="linkworkers.resume_holds")
def resume_holds():
    """On-hold cases come back on their review date."""
    return services.holds_resume_due()


@shared_task(name="linkworkers.connection_reminders")
def connection_reminders():
    """Run daily by beat: remind providers at 7 days, decline at 14, refresh listing figures."""
    reminded, declined = services.connections_remind_and_expire()
    services.connection_stats_refresh_all()
    return {"reminded": reminded, "declined": declined}


@shared_task(name="linkworkers.send_person_message")
def send_person_message(message_id: int) -> bool:
    """Hand one text or email to GOV.UK Notify (queued after the commit that wrote it)."""
    return services.person_message_send(message_id=message_id)


@shared_task(name="linkworkers.person_messages_sweep")
def person_messages_sweep():
    """Every 5 minutes: what an outage left unsent, and the delivery status of what was sent."""
    return services.person_messages_sweep()


@shared_task(name="linkworkers.session_reminders")
def session_reminders():
    """Daily: people accepted by a service are reminded the day before its session."""
    return services.session_reminders_send()
