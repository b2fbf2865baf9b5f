"""Prometheus metrics at /metrics (README, "Monitoring"), for the operator's scraper only.

Two kinds of figure:

- counted in each process as things happen: requests (by view, not by address,
  so a person's reference never becomes a label) and their duration, and failed
  sign-ins. Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR and
  every process's counts are added up (config/gunicorn.py tells the library when
  a worker exits);
- read when scraped, from the database and the broker: queue depth, the email
  outbox's oldest unsent message, the age of the last finished statistics run,
  and the worker's and beat's heartbeats. Each read is bounded and a failure
  leaves its figure out (and `sp_metric_up{part=...}` says 0): scraping never
  fails because the broker is down.

/metrics answers only a request carrying `Authorization: Bearer <METRICS_TOKEN>`;
without METRICS_TOKEN set it answers 404, like any page that is not there.
"""

import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import redis
from celery import current_app
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import DatabaseError
from django.db.models import Min
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector

from core.heartbeat import BEAT, WORKER_PREFIX
from core.models import Heartbeat, OutboxEmail
from reporting.models import RollupRun

logger = logging.getLogger(__name__)

REQUESTS = Counter(
    "sp_http_requests",
    "HTTP requests answered, by view (Django URL name), method and status code.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "sp_http_request_duration_seconds",
    "Time to answer an HTTP request, by view (Django URL name).",
    ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
LOGIN_FAILURES = Counter("sp_login_failures", "Failed sign-ins (wrong password or second factor).")

# Kombu keeps a Redis queue as one list per priority step: the name, then "\x06\x16" + step.
PRIORITY_STEPS = (0, 3, 6, 9)
QUEUES = ("celery",)


def _login_failed(sender: Any, **kwargs: Any) -> None:
    LOGIN_FAILURES.inc()


user_login_failed.connect(_login_failed, dispatch_uid="config.metrics.login_failed")


class MetricsMiddleware:
    """Counts every answer by the view that made it, and how long it took."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match else "") or "unmatched"
        REQUEST_SECONDS.labels(view).observe(time.perf_counter() - started)
        REQUESTS.labels(view, request.method or "", str(response.status_code)).inc()
        return response


class ScrapeTimeCollector(Collector):
    """Figures read from the database and the broker at the moment of the scrape."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "sp_metric_up", "1 if the part below could be read for this scrape.", labels=["part"]
        )
        for part, read in (
            ("queue", self._queue),
            ("outbox", self._outbox),
            ("rollup", self._rollup),
            ("heartbeat", self._heartbeats),
        ):
            try:
                yield from read()
                up.add_metric([part], 1)
            except (DatabaseError, redis.RedisError, OSError):
                logger.warning("metrics: %s could not be read", part)
                up.add_metric([part], 0)
        yield up

    def _queue(self) -> Iterator[Metric]:
        conf = current_app.conf
        if conf.task_always_eager or not str(conf.broker_url).startswith("redis://"):
            return
        client = redis.Redis.from_url(conf.broker_url, socket_timeout=1, socket_connect_timeout=1)
        try:
            depth = GaugeMetricFamily(
                "sp_queue_depth", "Tasks waiting in the broker's queue.", labels=["queue"]
            )
            for queue in QUEUES:
                keys = [queue if step == 0 else f"{queue}\x06\x16{step}" for step in PRIORITY_STEPS]
                pipe = client.pipeline(transaction=False)
                for key in keys:
                    pipe.llen(key)
                depth.add_metric([queue], sum(pipe.execute()))
            yield depth
        finally:
            client.close()

    def _outbox(self) -> Iterator[Metric]:
        unsent = OutboxEmail.objects.filter(sent_at__isnull=True)
        oldest = unsent.aggregate(oldest=Min("created_at"))["oldest"]
        yield GaugeMetricFamily(
            "sp_outbox_unsent", "Emails in the outbox not sent yet.", value=unsent.count()
        )
        yield GaugeMetricFamily(
            "sp_outbox_oldest_unsent_age_seconds",
            "Age of the oldest email not sent yet (0 when none waits).",
            value=(timezone.now() - oldest).total_seconds() if oldest else 0,
        )

    def _rollup(self) -> Iterator[Metric]:
        last = (
            RollupRun.objects.filter(state=RollupRun.State.DONE, finished_at__isnull=False)
            .order_by("-finished_at")
            .values_list("finished_at", flat=True)
            .first()
        )
        if last is not None:
            yield GaugeMetricFamily(
                "sp_rollup_age_seconds",
                "Time since the statistics last finished a run (the dashboards' age).",
                value=(timezone.now() - last).total_seconds(),
            )
        yield GaugeMetricFamily(
            "sp_rollup_running",
            "Statistics runs queued or running.",
            value=RollupRun.objects.filter(in_flight=True).count(),
        )

    def _heartbeats(self) -> Iterator[Metric]:
        now = timezone.now()
        latest: dict[str, float] = {}
        for name, seen_at in Heartbeat.objects.values_list("name", "seen_at"):
            kind = "worker" if name.startswith(WORKER_PREFIX) else "beat" if name == BEAT else ""
            if kind:
                age = (now - seen_at).total_seconds()
                latest[kind] = min(age, latest.get(kind, age))
        family = GaugeMetricFamily(
            "sp_heartbeat_age_seconds",
            "Time since the freshest Celery worker, and beat, showed it was alive.",
            labels=["process"],
        )
        for kind, age in sorted(latest.items()):
            family.add_metric([kind], age)
        yield family


def _exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    scraped = CollectorRegistry()
    scraped.register(ScrapeTimeCollector())
    return generate_latest(counted) + generate_latest(scraped)


def _authorised(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return False
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(
        value.strip().encode(), token.encode()
    )


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        raise Http404
    return HttpResponse(_exposition(), content_type=CONTENT_TYPE_LATEST)
