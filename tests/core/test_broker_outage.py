"""A Redis outage while work waits in a worker: the worker lives through it (issue 18, point 1).

A real Celery worker, in a process of its own, takes tasks from a redis-server this
test starts on a private port. Some tasks wait in the worker for their countdown, as
an email waiting for its retry does: received, not yet acknowledged. Redis stops and
starts again. The worker must still be there, and take new work; its heartbeat (what
/healthz reads) must be fresh again. With kombu's own Redis transport it exited with
"Unrecoverable error: AttributeError: 'NoneType' object has no attribute 'hostname'"
after "Restoring 3 unacknowledged message(s)" (core/broker.py says why).
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.models import Heartbeat
from tests.outage import RedisServer, needs_redis_server, wait_for

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


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


class Worker:
    """`celery -A config worker`, as production runs it (prefork), against the given Redis."""

    def __init__(self, broker_url: str, directory: Path) -> None:
        self.log = directory / "worker.log"
        self.output = directory / "worker.out"
        self.hostname = f"outage-{uuid.uuid4().hex[:8]}@localhost"
        env = {
            **os.environ,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "REDIS_URL": broker_url,
            "CELERY_BROKER_URL": broker_url,
            "CELERY_RESULT_BACKEND": broker_url,
            "DATABASE_URL": database_url(),
            "HEARTBEAT_SECONDS": "1",
            "EMAIL_URL": "consolemail://",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork"]
            + ["--concurrency=1", "--without-mingle", "--loglevel=info"]
            + [f"--hostname={self.hostname}", f"--logfile={self.log}"],
            cwd=ROOT,
            env=env,
            stdout=self.output.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def said(self) -> str:
        """What the worker logged, and anything it printed before its log was open."""
        return "".join(path.read_text() for path in (self.output, self.log) if path.exists())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


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
    worker = Worker(redis.url(), tmp_path)
    try:
        wait_for(
            lambda: " ready." in worker.said() or not worker.alive(),
            seconds=120,  # a busy machine (CI shares two cores) starts a worker slowly
            what="the worker to start",
        )
        assert worker.alive(), worker.said()[-3000:]
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
