"""/healthz, for load balancers and monitoring (README, "What /healthz says").

It answers 503 only when the database is down. A broker outage, or a Celery worker or
beat whose heartbeat is stale, is "degraded", with 200: pages still work and the work
waits. The heartbeats are rows the worker and beat write themselves (core/heartbeat.py).
"""

from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.utils import timezone

from config import views
from core.heartbeat import heartbeat_record
from tests.outage import broker_at, closed_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_worker_and_beat(settings, monkeypatch):
    """As production runs: tasks go to a worker, not run in-process; the broker answers."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(views, "_broker_state", lambda: "ok")


def seen(name, ago):
    heartbeat_record(name=name, now=timezone.now() - ago)


def test_it_answers_ok_when_everything_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    # Tasks run in-process (tests, `make run`): no broker, worker or beat to be down.
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "eager",
        "worker": "eager",
        "beat": "eager",
    }


def test_it_is_not_language_prefixed(client):
    assert client.get("/cy/healthz").status_code == 404


def test_fresh_heartbeats_are_ok(client, with_worker_and_beat):
    seen("worker:celery@web1", timedelta(seconds=20))
    seen("beat", timedelta(seconds=5))
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert (body["worker"], body["workers"], body["beat"]) == ("ok", 1, "ok")
    assert body["worker_seen_at"] and body["beat_seen_at"]
    assert "down" not in body


def test_a_dead_worker_is_degraded_not_down(client, with_worker_and_beat):
    last = timezone.now() - timedelta(minutes=5)
    heartbeat_record(name="worker:celery@web1", now=last)
    seen("beat", timedelta(seconds=5))
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["worker"], body["workers"]) == ("degraded", "stale", 0)
    assert body["down"] == ["worker"]
    assert body["worker_seen_at"] == last.isoformat()


def test_a_dead_beat_is_degraded(client, with_worker_and_beat):
    seen("worker:celery@web1", timedelta(seconds=5))
    seen("beat", timedelta(minutes=10))
    body = client.get("/healthz").json()
    assert (body["status"], body["beat"], body["down"]) == ("degraded", "stale", ["beat"])


def test_no_heartbeat_ever_is_stale(client, with_worker_and_beat):
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert (body["worker"], body["worker_seen_at"], body["workers"]) == ("stale", None, 0)
    assert (body["beat"], body["beat_seen_at"]) == ("stale", None)
    assert body["down"] == ["beat", "worker"]


def test_it_counts_only_the_workers_alive(client, with_worker_and_beat):
    seen("worker:celery@web1", timedelta(seconds=10))
    seen("worker:celery@web2", timedelta(seconds=50))
    seen("worker:celery@old", timedelta(hours=2))
    seen("beat", timedelta(seconds=5))
    body = client.get("/healthz").json()
    assert (body["status"], body["worker"], body["workers"]) == ("ok", "ok", 2)


def test_the_staleness_threshold_is_a_setting(client, with_worker_and_beat, settings):
    seen("worker:celery@web1", timedelta(seconds=50))
    seen("beat", timedelta(seconds=50))
    settings.HEARTBEAT_STALE_SECONDS = 30
    assert client.get("/healthz").json()["down"] == ["beat", "worker"]


def test_it_reads_the_heartbeats_in_one_query(
    client, with_worker_and_beat, django_assert_num_queries
):
    for n in range(5):
        seen(f"worker:celery@web{n}", timedelta(seconds=n))
    seen("beat", timedelta(seconds=5))
    with django_assert_num_queries(2):  # SELECT 1, then the heartbeats
        client.get("/healthz")


def test_a_broker_outage_is_degraded_not_down(client):
    seen("worker:celery@web1", timedelta(seconds=5))
    seen("beat", timedelta(seconds=5))
    with broker_at(f"redis://127.0.0.1:{closed_port()}/0"):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "broker": "down",
        "worker": "ok",
        "workers": 1,
        "worker_seen_at": response.json()["worker_seen_at"],
        "beat": "ok",
        "beat_seen_at": response.json()["beat_seen_at"],
        "down": ["broker"],
    }


def test_a_database_outage_is_down(client, monkeypatch, with_worker_and_beat):
    def broken_cursor(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    # The heartbeats live in the database: nothing can be said of the worker and beat.
    assert (body["worker"], body["beat"]) == ("unknown", "unknown")
    assert body["down"] == ["beat", "database", "worker"]
