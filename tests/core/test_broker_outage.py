"""A Redis outage while work waits in a worker: the worker lives through it (issue 18, point 1).

A real Celery worker, in a process of its own, takes tasks from a redis-server this
test starts on a private port. Some tasks wait in the worker for their countdown, as
an email waiting for its retry does: received, not yet acknowledged. Redis stops and
starts again. The worker must still be there, and take new work; its heartbeat (what
/healthz reads) must be fresh again. With kombu's own Redis transport it exited with
"Unrecoverable error: AttributeError: 'NoneType' object has no attribute 'hostname'"
after "Restoring 3 unacknowledged message(s)" (core/broker.py says why).
"""

import time
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.utils import timezone

from core.models import Heartbeat
from tests.outage import CeleryWorker, RedisServer, needs_redis_server, wait_for

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.fault,
    pytest.mark.django_db(transaction=True),
    needs_redis_server,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="the worker is another process and must share the test database: "
        "run with DATABASE_URL pointing at PostgreSQL (CI does)",
    ),
]


def ping(broker_url: str, *, seconds: float) -> str:
    """Send config.ping through the broker and wait for a worker's answer."""
    app = Celery("outage-test", broker=broker_url, backend=broker_url, set_as_current=False)
    try:
        return app.send_task("config.ping").get(timeout=seconds)
    finally:
        app.close()


def hold(broker_url: str, count: int) -> None:
    """Tasks that wait in the worker, received but not acknowledged, for five minutes."""
    app = Celery("outage-test", broker=broker_url, set_as_current=False)
    try:
        for _ in range(count):
            app.send_task("config.ping", countdown=300, ignore_result=True)
    finally:
        app.close()


def test_a_worker_lives_through_a_redis_outage_and_takes_new_work(tmp_path):
    redis = RedisServer(tmp_path)
    redis.start()
    worker = CeleryWorker(redis.url(), tmp_path, args=["--concurrency=1"])
    try:
        assert ping(redis.url(), seconds=20) == "pong", worker.said()[-3000:]
        hold(redis.url(), 3)
        wait_for(
            lambda: redis.client().hlen("unacked") == 3,
            seconds=10,
            what="the worker to hold three unacknowledged tasks",
        )

        redis.stop()
        wait_for(
            lambda: "Connection to broker lost" in worker.said() or not worker.alive(),
            seconds=10,
            what="the worker to notice the broker is gone",
        )
        time.sleep(1)  # the moment it used to give up
        assert "Unrecoverable error" not in worker.said(), worker.said()[-3000:]
        assert worker.alive(), worker.said()[-3000:]

        redis.start()
        back = timezone.now()
        assert ping(redis.url(), seconds=30) == "pong", worker.said()[-3000:]
        assert worker.alive()
        # What /healthz reads: the worker wrote its heartbeat again once reconnected.
        wait_for(
            lambda: Heartbeat.objects.filter(
                name=f"worker:{worker.hostname}", seen_at__gte=back
            ).exists(),
            seconds=10,
            what="the worker's heartbeat after the outage",
        )
    finally:
        worker.stop()
        redis.stop()
    # A worker that stops cleanly takes its heartbeat away with it.
    assert not Heartbeat.objects.filter(name=f"worker:{worker.hostname}").exists()
