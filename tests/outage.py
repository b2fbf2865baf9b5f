"""Outages the tests cause, always on services of their own, never on the shared ones.

- `closed_port()`: a local port nothing listens on: a Redis there refuses at once.
- `broker_at(url)`: Celery (and core.queue's connections) sent to another broker, tasks no
  longer run in-process.
- `caches_at(url)`: both Redis caches (the default one and the rate limits') sent elsewhere.
- `RedisServer`: a redis-server of the test's own on a free port, stopped and started at will.
- `CeleryWorker`: `celery -A config worker` in a process of its own, on a broker of the test's
  own and the test database; never left behind when it fails to start.
- `ConnectionAttempts`: counts the broker connections kombu tries, so a test bounds the time
  an outage costs by counting, not by a stopwatch.
"""

import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import override_settings
from kombu import Connection

from config.celery import app as celery_app
from core import queue

# How often a test's stand-in server (a threading HTTP or SMTP server) looks for its stop:
# socketserver's default, half a second, was most of each such test's time.
POLL_SECONDS = 0.01

ROOT = Path(__file__).resolve().parents[1]


def serve_in_background(server: socketserver.BaseServer) -> threading.Thread:
    """A test's stand-in server (HTTP, SMTP) answering in a daemon thread that looks for its
    stop every POLL_SECONDS; the thread, started."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
    )
    thread.start()
    return thread


needs_redis_server = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="redis-server is not installed: the broker fault tests start their own "
    "(apt-get install redis-server)",
)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _forget_broker_connections() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    queue._forget_connections()


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Queue to the broker at `url` for real, as production does (no eager tasks)."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.task_always_eager)
    conf.broker_url, conf.task_always_eager = url, False
    _forget_broker_connections()
    try:
        with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
            yield
    finally:
        conf.broker_url, conf.task_always_eager = saved
        _forget_broker_connections()


@contextmanager
def caches_at(url: str) -> Iterator[None]:
    """Both Redis caches at `url`, with the timeouts the settings give them."""
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        },
        "ratelimit": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": url,
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        },
    }
    with override_settings(CACHES=caches):
        yield


@contextmanager
def rate_limit_cache_down() -> Iterator[None]:
    """The fail-open cache (rate limits, routing versions, the outbox doorbell) pointing at a
    port nothing listens on: every call fails to connect, as in a Redis outage."""
    down = {
        "BACKEND": "core.cache.FailOpenRedisCache",
        "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 0.5},
    }
    with override_settings(CACHES={**settings.CACHES, "ratelimit": down}):
        yield


class ConnectionAttempts:
    """How many times kombu tried to open a broker connection while this was active."""

    def __init__(self) -> None:
        self.count = 0

    @contextmanager
    def counting(self) -> Iterator["ConnectionAttempts"]:
        real = Connection._connection_factory

        def counted(connection: Connection) -> object:
            self.count += 1
            return real(connection)

        with mock.patch.object(Connection, "_connection_factory", counted):
            yield self


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Waited {seconds:g}s for {what}")
        time.sleep(0.05)


class RedisServer:
    """A redis-server on a free port of 127.0.0.1, keeping nothing on disk."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = closed_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self) -> "redis.Redis[bytes]":
        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
            + ["--logfile", str(self.directory / "redis.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, seconds=10, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def database_url() -> str:
    """The test database as a URL, for a process of its own to use."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


class CeleryWorker:
    """`celery -A config worker`, as production runs it, against the given broker and the test
    database; started and waited for (a busy two-core machine takes a while), and stopped
    again if it does not come up: a worker left behind would go on writing into the test
    database."""

    def __init__(
        self,
        broker_url: str,
        directory: Path,
        *,
        pool: str = "prefork",
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
    ) -> None:
        name = uuid.uuid4().hex[:8]
        self.log = directory / f"worker-{name}.log"
        self.output = directory / f"worker-{name}.out"
        self.hostname = f"{'rollup' if pool == 'solo' else 'outage'}-{name}@localhost"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", f"--pool={pool}"]
            + ["--without-mingle", "--loglevel=info", *(args or [])]
            + [f"--hostname={self.hostname}", f"--logfile={self.log}"],
            cwd=ROOT,
            env={
                **os.environ,
                "CELERY_TASK_ALWAYS_EAGER": "0",
                "REDIS_URL": broker_url,
                "CELERY_BROKER_URL": broker_url,
                "CELERY_RESULT_BACKEND": broker_url,
                "DATABASE_URL": database_url(),
                "HEARTBEAT_SECONDS": "1",
                "EMAIL_URL": "consolemail://",
                **(env or {}),
            },
            stdout=self.output.open("wb"),
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(
                lambda: " ready." in self.said() or not self.alive(),
                seconds=120,
                what="the worker to start",
            )
            assert self.alive(), self.said()[-3000:]
        except BaseException:
            self.stop()
            raise

    def alive(self) -> bool:
        return self.process.poll() is None

    def said(self) -> str:
        """What the worker logged, and anything it printed before its log was open."""
        return "".join(path.read_text() for path in (self.output, self.log) if path.exists())

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait()
