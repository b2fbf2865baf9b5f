"""The heartbeats /healthz reads: each Celery worker and beat write their own row.

A worker writes when it is ready, at most every HEARTBEAT_SECONDS from Celery's
2-second event heartbeat (sent only while it is connected to the broker), and when
it runs the heartbeat task; it removes its row when it stops. Beat writes as it queues
the heartbeat task. A database outage in any of these is logged, never raised into
the worker's or beat's loop. (tests/core/test_broker_outage.py shows it in a real worker.)
"""

from datetime import timedelta
from unittest import mock

import pytest
from celery.signals import before_task_publish, heartbeat_sent, worker_ready, worker_shutdown
from django.db import OperationalError
from django.utils import timezone

from core import heartbeat, tasks
from core.models import Heartbeat

pytestmark = pytest.mark.django_db

WORKER = "celery@worker1"


class Sender:
    """What Celery sends its signals from (a consumer, a worker, a heart), as far as we read it."""

    def __init__(self, **attributes):
        self.__dict__.update(attributes)


def pulse(hostname=WORKER):
    heartbeat_sent.send(sender=Sender(eventer=Sender(hostname=hostname)))


def seen_at(name):
    return Heartbeat.objects.get(name=name).seen_at


@pytest.fixture(autouse=True)
def a_fresh_worker_process(monkeypatch):
    """Each test is a worker or beat process that has written nothing yet."""
    monkeypatch.setattr(tasks._WorkerHeartbeat, "last_written", float("-inf"))
    monkeypatch.setattr(tasks._Beat, "running_here", False)


def test_a_worker_that_is_ready_says_so():
    worker_ready.send(sender=Sender(hostname=WORKER))
    assert Heartbeat.objects.filter(name=f"worker:{WORKER}").exists()


def test_the_pulse_writes_at_most_every_heartbeat_seconds(settings, monkeypatch):
    settings.HEARTBEAT_SECONDS = 30
    clock = [1000.0]
    monkeypatch.setattr(tasks.time, "monotonic", lambda: clock[0])
    pulse()
    first = seen_at(f"worker:{WORKER}")
    clock[0] += 2
    pulse()  # two seconds on: nothing written
    assert seen_at(f"worker:{WORKER}") == first
    clock[0] += 30
    pulse()
    assert seen_at(f"worker:{WORKER}") > first


def test_a_worker_that_stops_takes_its_row_away():
    heartbeat.heartbeat_record(name=f"worker:{WORKER}")
    heartbeat.heartbeat_record(name="worker:celery@worker2")
    worker_shutdown.send(sender=Sender(hostname=WORKER))
    assert list(Heartbeat.objects.values_list("name", flat=True)) == ["worker:celery@worker2"]


def test_beat_writes_as_it_queues_the_heartbeat_task():
    tasks._Beat.running_here = True
    before_task_publish.send(sender="core.heartbeat", body=None)
    assert Heartbeat.objects.filter(name="beat").exists()


def test_beat_writes_nothing_for_other_tasks():
    tasks._Beat.running_here = True
    before_task_publish.send(sender="core.resend_unsent_emails", body=None)
    assert not Heartbeat.objects.exists()


def test_queueing_the_heartbeat_task_elsewhere_is_not_beat():
    """Only the beat process writes beat's row (an operator's shell might queue the task)."""
    before_task_publish.send(sender="core.heartbeat", body=None)
    assert not Heartbeat.objects.exists()


def run_heartbeat_task_in(hostname):
    # In a worker the request carries the worker's name; run here, it is this machine's.
    with mock.patch("celery.app.task.gethostname", return_value=hostname):
        tasks.heartbeat_task.apply()


def test_the_heartbeat_task_writes_the_worker_that_ran_it():
    run_heartbeat_task_in(WORKER)
    assert Heartbeat.objects.filter(name=f"worker:{WORKER}").exists()


def test_the_heartbeat_task_forgets_workers_gone_for_a_day():
    now = timezone.now()
    heartbeat.heartbeat_record(name="worker:celery@scaled-away", now=now - timedelta(days=2))
    heartbeat.heartbeat_record(name="worker:celery@restarting", now=now - timedelta(hours=3))
    heartbeat.heartbeat_record(name="beat", now=now - timedelta(days=2))
    run_heartbeat_task_in(WORKER)
    assert set(Heartbeat.objects.values_list("name", flat=True)) == {
        f"worker:{WORKER}",
        "worker:celery@restarting",
        "beat",
    }


def test_a_database_outage_in_a_heartbeat_is_logged_not_raised(caplog):
    with mock.patch.object(
        heartbeat, "heartbeat_record", side_effect=OperationalError("server closed the connection")
    ):
        worker_ready.send(sender=Sender(hostname=WORKER))
        pulse()
    assert "Heartbeat of worker:celery@worker1 not written" in caplog.text


def test_beat_queues_the_heartbeat_task_every_heartbeat_seconds(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["core-heartbeat"]
    assert entry["task"] == "core.heartbeat"
    assert entry["schedule"] == settings.HEARTBEAT_SECONDS
    # One missed while no worker was there is not worth running later.
    assert entry["options"]["expires"] == settings.HEARTBEAT_SECONDS
    assert settings.HEARTBEAT_STALE_SECONDS > 2 * settings.HEARTBEAT_SECONDS


# --- The container health check (docker-compose.yml) ---------------------------------------


def test_the_health_check_passes_for_a_fresh_worker_and_fails_for_a_stale_or_absent_one(
    db, settings
):
    from datetime import timedelta

    from django.core.management import CommandError, call_command
    from django.utils import timezone

    from core.heartbeat import heartbeat_record

    now = timezone.now()
    heartbeat_record(name="worker:celery@fresh", now=now - timedelta(seconds=10))
    heartbeat_record(name="worker:celery@stale", now=now - timedelta(minutes=10))
    heartbeat_record(name="beat", now=now - timedelta(seconds=20))
    call_command("heartbeat_check", "--worker", "celery@fresh")
    call_command("heartbeat_check", "--beat")
    with pytest.raises(CommandError, match="600s ago|60\\ds ago"):
        call_command("heartbeat_check", "--worker", "celery@stale")
    with pytest.raises(CommandError, match="No heartbeat"):
        call_command("heartbeat_check", "--worker", "celery@never")


def test_compose_checks_the_worker_and_beat_by_their_heartbeats():
    from pathlib import Path

    import yaml

    compose = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text()
    )
    assert "heartbeat_check --worker" in compose["services"]["worker"]["healthcheck"]["test"][1]
    assert "heartbeat_check --beat" in compose["services"]["beat"]["healthcheck"]["test"][1]
    assert "inspect ping" not in str(compose)
