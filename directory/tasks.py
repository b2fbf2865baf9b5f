"""Celery tasks for the directory: thin, take ids, safe to run twice."""

from celery import shared_task

from . import services


@shared_task(name="directory.flag_stale_services")
def flag_stale_services():
    """Daily (Celery beat): flag listings not reviewed within a year and email their providers."""
    return services.services_flag_stale()


# The email tasks only write outbox rows; core.outbox sends them and retries what SMTP refuses.
@shared_task(name="directory.email_service_stale")
def email_service_stale(service_id, recipient_id):
    return services.service_stale_email_send(service_id=service_id, recipient_id=recipient_id)


@shared_task(name="directory.email_service_change_decision")
def email_service_change_decision(change_id, recipient_id):
    return services.service_change_decision_email_send(
        change_id=change_id, recipient_id=recipient_id
    )


@shared_task(name="directory.notify_service_change_decision")
def notify_service_change_decision(change_id):
    return services.service_change_decision_notify(change_id=change_id)


@shared_task(name="directory.notify_pending_decisions")
def notify_pending_decisions():
    """Every few minutes (Celery beat): queue decision emails a broker outage left behind."""
    return services.service_change_decisions_notify_pending()
