"""Celery jobs for reporting: thin wrappers around services, safe to run twice."""

from celery import shared_task

from . import services
from .models import RollupRun


@shared_task(name="reporting.rollup_run")
def rollup_run_task(run_id):
    """Do one queued rollup run (from the dashboard's refresh or a schedule below)."""
    run = services.rollup_execute(run_id=run_id)
    return run.referrals if run else None


@shared_task(name="reporting.rollup_incremental")
def rollup_incremental_scheduled():
    """Every few minutes by beat: the referrals changed since the last run."""
    run, _created = services.rollup_request(kind=RollupRun.Kind.INCREMENTAL)
    return str(run.uuid)


@shared_task(name="reporting.rollup_nightly")
def rollup_nightly():
    """Each night by beat: everything rebuilt, so nothing an incremental run missed lasts."""
    run, _created = services.rollup_request(kind=RollupRun.Kind.FULL)
    return str(run.uuid)


# Monthly report ------------------------------------------------------------


@shared_task(name="reporting.send_monthly_reports")
def send_monthly_reports():
    """On the 1st by beat: last month's figures to every scheme manager, once each."""
    return services.monthly_reports_send()
