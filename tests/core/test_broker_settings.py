"""How the web side and the workers meet a broker outage (issue 18, points 1 and 2).

Queueing, done while a person waits, fails at once: one connection attempt within
CELERY_BROKER_CONNECTION_TIMEOUT, no retry of the publish. Workers retry for ever,
hold no message longer than Redis's visibility timeout allows, and run on the Redis
transport of core/broker.py, which `manage.py check` says was checked with these
kombu and celery versions. Timings are bounded by counting attempts, not with a clock.
"""

import os
import subprocess
import sys
from unittest import mock

import pytest
from celery import Signature
from django.core.checks import run_checks
from kombu.exceptions import OperationalError

from config.celery import app as celery_app
from core import checks, queue
from tests.outage import ConnectionAttempts, broker_at, closed_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def broker_down():
    with broker_at(f"redis://127.0.0.1:{closed_port()}/0"):
        yield


def test_queueing_with_the_broker_down_tries_once_and_raises(broker_down):
    with ConnectionAttempts().counting() as attempts, pytest.raises(OperationalError):
        queue.enqueue("core.send_outbox_email", 1)
    assert attempts.count == 1


def test_queueing_passes_no_retry_and_the_short_timeouts(broker_down, settings):
    with mock.patch.object(Signature, "apply_async") as publish:
        queue.enqueue("core.send_outbox_email", 1)
    [call] = publish.call_args_list
    assert call.kwargs["retry"] is False
    connection = call.kwargs["connection"]
    assert connection.connect_timeout == settings.CELERY_BROKER_CONNECTION_TIMEOUT <= 2
    assert connection.transport_options["max_retries"] == 0
    assert connection.transport_options["socket_connect_timeout"] <= 2


def test_a_task_can_be_queued_to_start_later(broker_down):
    with mock.patch.object(Signature, "apply_async") as publish:
        queue.enqueue("core.send_waiting_emails", countdown=1.0)
        queue.enqueue("core.send_outbox_email", 1)
    assert [call.kwargs["countdown"] for call in publish.call_args_list] == [1.0, None]


def test_the_short_timeouts_can_be_set(broker_down, settings):
    celery_app.conf.broker_connection_timeout = 0.5
    try:
        queue._forget_connections()
        with mock.patch.object(Signature, "apply_async") as publish:
            queue.enqueue("core.send_outbox_email", 1)
    finally:
        celery_app.conf.broker_connection_timeout = settings.CELERY_BROKER_CONNECTION_TIMEOUT
        queue._forget_connections()
    assert publish.call_args.kwargs["connection"].connect_timeout == 0.5


def test_in_eager_mode_the_task_runs_at_once():
    with mock.patch.object(Signature, "apply_async") as publish:
        queue.enqueue("config.ping")
    [call] = publish.call_args_list
    assert "connection" not in call.kwargs


def test_workers_retry_the_broker_for_ever_and_stop_what_it_would_deliver_twice():
    conf = celery_app.conf
    assert conf.broker_connection_retry and conf.broker_connection_retry_on_startup
    assert conf.broker_connection_max_retries is None
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_cancel_long_running_tasks_on_connection_loss
    # Nothing waits on the result backend but `manage.py check_worker`'s ping.
    assert conf.task_ignore_result
    assert celery_app.tasks["config.ping"].ignore_result is False


def test_the_redis_transport_is_the_one_that_survives_an_outage():
    assert celery_app.conf.broker_transport == "core.broker:Transport"
    with celery_app.connection_for_write() as connection:
        assert connection.transport_cls == "core.broker:Transport"
        assert type(connection.transport).__module__ == "core.broker"


def test_no_task_waits_or_runs_past_the_visibility_timeout(settings):
    """Redis hands an unacknowledged message to another worker after the visibility timeout.

    A task's message waits in a worker for its countdown (an email's retry), then
    the task runs for at most the time limit: both together must end before that.
    """
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    ours = {name: task for name, task in celery_app.tasks.items() if not name.startswith("celery.")}
    assert "core.send_outbox_email" in ours
    for name, task in ours.items():
        backoff = getattr(task, "retry_backoff", False)
        longest_wait = task.retry_backoff_max if backoff else task.default_retry_delay
        assert longest_wait + settings.CELERY_TASK_TIME_LIMIT < visibility, name
    assert celery_app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT


def test_the_check_passes_with_the_versions_the_fix_was_checked_with():
    assert [m for m in run_checks() if m.id == "core.W001"] == []


def test_the_check_warns_when_kombu_moves_on():
    with mock.patch.object(checks, "version", side_effect=lambda package: "5.8.0"):
        warnings = checks.broker_fix_checked()
    assert [w.id for w in warnings] == ["core.W001", "core.W001"]
    assert "checked with kombu 5.7, and kombu 5.8 is installed" in warnings[0].msg
    assert "tests/core/test_broker_outage.py" in warnings[0].hint


def run_shell(code, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"EMAIL_TIMEOUT"}}
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", code],
        cwd=ROOT,
        env={**clean, "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_timeouts_come_from_the_environment():
    result = run_shell(
        "from django.conf import settings as s; "
        "print(s.EMAIL_TIMEOUT, s.CELERY_BROKER_CONNECTION_TIMEOUT, "
        "s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'], s.CELERY_TASK_TIME_LIMIT, "
        "s.REDIS_CACHE_OPTIONS['socket_timeout'])",
        EMAIL_TIMEOUT="7",
        CELERY_BROKER_CONNECTION_TIMEOUT="1.5",
        CELERY_BROKER_VISIBILITY_TIMEOUT="9000",
        CELERY_TASK_TIME_LIMIT="1800",
        REDIS_CACHE_TIMEOUT="0.5",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["7", "1.5", "9000", "1800", "0.5"]
