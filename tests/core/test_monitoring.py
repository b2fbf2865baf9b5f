"""Monitoring (issue 18, point 8; README, "Monitoring").

Ffion runs the service for the health board. Prometheus scrapes /metrics with a
token; the logs are JSON lines carrying a request id that she can follow from the
web process into the worker; errors go to Sentry without a word about any person.
"""

import json
import logging
import re
import uuid
from datetime import timedelta

import pytest
import structlog
from django.utils import timezone
from kombu.exceptions import OperationalError

from config import sentry
from core.heartbeat import heartbeat_record
from core.models import OutboxEmail
from reporting.models import RollupRun
from tests.outage import (
    RedisServer,
    broker_at,
    closed_port,
    needs_redis_server,
    serve_in_background,
)

pytestmark = pytest.mark.django_db

TOKEN = "scrape-" + "x" * 32


def scrape(client, token=TOKEN, **extra):
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


def figure(text: str, name: str, labels: str = "") -> float:
    """The value of one sample in Prometheus's text format."""
    pattern = re.escape(name) + (r"\{" + labels + r"\}" if labels else r"(\{[^}]*\})?")
    match = re.search(rf"^{pattern} (\S+)$", text, re.MULTILINE)
    assert match, f"{name}{{{labels}}} not in:\n{text}"
    return float(match.groups()[-1])


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


# --- /metrics is not public --------------------------------------------------------------


def test_without_a_token_configured_there_is_no_metrics_page(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert scrape(client, token="").status_code == 404


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer ١٢٣", "x" * 5000],
)
def test_a_wrong_or_missing_token_gets_404(client, metrics_on, authorization):
    response = client.get("/metrics", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 404


def test_the_scraper_reads_requests_counted_by_view_never_by_address(client, metrics_on):
    client.get("/healthz")
    client.get("/no/such/page/SP-ABCDEFG/")
    response = scrape(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    assert figure(text, "sp_http_requests_total", 'method="GET",status="200",view="healthz"') >= 1
    assert figure(text, "sp_http_requests_total", 'method="GET",status="404",view="unmatched"') >= 1
    assert "SP-ABCDEFG" not in text
    assert figure(text, "sp_http_request_duration_seconds_count", 'view="healthz"') >= 1


def test_failed_sign_ins_are_counted(client, metrics_on, django_user_model):
    before = figure(scrape(client).content.decode(), "sp_login_failures_total")
    client.post("/accounts/login/", {"username": "nobody", "password": "guess"})
    after = figure(scrape(client).content.decode(), "sp_login_failures_total")
    assert after == before + 1


def test_the_outbox_rollups_and_heartbeats_are_read_when_scraped(client, metrics_on):
    now = timezone.now()
    OutboxEmail.objects.create(
        to="a@example.org", subject="s", body_text="t", created_at=now - timedelta(minutes=10)
    )
    OutboxEmail.objects.create(to="b@example.org", subject="s", body_text="t", created_at=now)
    OutboxEmail.objects.create(
        to="c@example.org",
        subject="s",
        body_text="t",
        created_at=now - timedelta(days=2),
        sent_at=now,
    )
    RollupRun.objects.create(
        kind=RollupRun.Kind.FULL,
        state=RollupRun.State.DONE,
        in_flight=None,
        created_at=now - timedelta(hours=2),
        finished_at=now - timedelta(hours=1),
    )
    heartbeat_record(name="worker:w1@host", now=now - timedelta(seconds=40))
    heartbeat_record(name="worker:w2@host", now=now - timedelta(seconds=5))
    heartbeat_record(name="beat", now=now - timedelta(seconds=90))

    text = scrape(client).content.decode()

    assert figure(text, "sp_outbox_unsent") == 2
    assert 590 <= figure(text, "sp_outbox_oldest_unsent_age_seconds") <= 700
    assert 3590 <= figure(text, "sp_rollup_age_seconds") <= 3700
    assert figure(text, "sp_rollup_running") == 0
    assert 4 <= figure(text, "sp_heartbeat_age_seconds", 'process="worker"') <= 60
    assert 89 <= figure(text, "sp_heartbeat_age_seconds", 'process="beat"') <= 150
    for part in ("queue", "outbox", "rollup", "heartbeat"):
        assert figure(text, "sp_metric_up", f'part="{part}"') == 1


def test_query_count_does_not_grow_with_rows(client, metrics_on, django_assert_max_num_queries):
    now = timezone.now()
    for index in range(20):
        OutboxEmail.objects.create(
            to=f"{index}@example.org", subject="s", body_text="t", created_at=now
        )
        heartbeat_record(name=f"worker:w{index}@host", now=now)
    with django_assert_max_num_queries(6):
        assert scrape(client).status_code == 200


@needs_redis_server
def test_queue_depth_is_read_from_the_broker(client, metrics_on, tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    try:
        server.client().rpush("celery", "a", "b")
        server.client().rpush("celery\x06\x163", "c")
        with broker_at(server.url()):
            text = scrape(client).content.decode()
        assert figure(text, "sp_queue_depth", 'queue="celery"') == 3
    finally:
        server.stop()


def test_a_broker_outage_leaves_the_queue_out_and_the_scrape_answers(client, metrics_on):
    with broker_at(f"redis://127.0.0.1:{closed_port()}/0"):
        response = scrape(client)
    assert response.status_code == 200
    text = response.content.decode()
    assert figure(text, "sp_metric_up", 'part="queue"') == 0
    assert "sp_queue_depth{" not in text
    assert figure(text, "sp_metric_up", 'part="outbox"') == 1


# --- request ids and JSON logs -----------------------------------------------------------


def request_log_lines(caplog):
    return [
        record.msg
        for record in caplog.records
        if record.name == "django_structlog.middlewares.request" and isinstance(record.msg, dict)
    ]


def test_each_answer_carries_a_new_request_id_that_the_log_lines_share(client, caplog):
    caplog.set_level(logging.INFO)
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert uuid.UUID(first) and uuid.UUID(second) and first != second
    lines = request_log_lines(caplog)
    events = [(line["event"], line["request_id"]) for line in lines]
    assert ("request_started", first) in events and ("request_finished", first) in events
    assert ("request_finished", second) in events


def test_the_log_keeps_the_path_and_never_the_query_string(client, caplog):
    caplog.set_level(logging.INFO)
    client.get("/healthz?q=Gwen+Pritchard+943+476+5919")
    lines = request_log_lines(caplog)
    assert lines
    assert all(line["request"] == "GET /healthz" for line in lines)
    assert "Pritchard" not in caplog.text and "5919" not in caplog.text


def test_the_log_names_the_client_address_no_header_can_forge(client, settings, caplog):
    caplog.set_level(logging.INFO)
    client.get("/healthz", REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="6.6.6.6")
    settings.TRUSTED_PROXY_COUNT = 1  # nginx in front: the address it appended
    client.get("/healthz", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4")
    started = [line for line in request_log_lines(caplog) if line["event"] == "request_started"]
    assert [line["ip"] for line in started] == ["192.0.2.7", "198.51.100.4"]


@pytest.mark.parametrize(
    "given",
    ["short", "x" * 65, 'abc"def\nforged-log-line', "١٢٣٤٥٦٧٨٩٠١٢", "<script>alert(1)</script>"],
)
def test_a_hostile_upstream_request_id_is_replaced(client, settings, given):
    settings.TRUST_REQUEST_ID_HEADER = True
    answered = client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"]
    assert answered != given
    assert uuid.UUID(answered)


def test_the_load_balancers_request_id_is_kept_when_trusted(client, settings):
    given = "f3a0c9e1-lb-0001"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"] != given
    settings.TRUST_REQUEST_ID_HEADER = True
    assert client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given


def test_json_log_lines_are_one_object_a_line():
    from config.logs import logging_config

    config = logging_config(json=True, level="INFO")
    formatter = structlog.stdlib.ProcessorFormatter(
        **{k: v for k, v in config["formatters"]["structured"].items() if k != "()"}
    )
    record = logging.LogRecord("y", logging.WARNING, __file__, 1, "std %s", ("line\nbreak",), None)
    with structlog.contextvars.bound_contextvars(request_id="req-12345678"):
        line = formatter.format(record)
    assert "\n" not in line
    assert json.loads(line) | {"timestamp": None} == {
        "event": "std line\nbreak",
        "level": "warning",
        "logger": "y",
        "request_id": "req-12345678",
        "timestamp": None,
    }


def test_a_task_queued_inside_a_request_carries_its_request_id(tmp_path):
    """django-structlog puts the request id in the task message's headers; a worker binds it."""
    from config.celery import app

    server_url = f"redis://127.0.0.1:{closed_port()}/0"
    published = {}

    def capture(sender=None, headers=None, **kwargs):
        published.update(headers or {})

    from celery.signals import before_task_publish

    before_task_publish.connect(capture)
    try:
        with (
            broker_at(server_url),
            structlog.contextvars.bound_contextvars(request_id="req-abcdef12"),
            pytest.raises(OperationalError),  # nothing listens there: the message is built first
        ):
            app.send_task("config.ping", retry=False)
    finally:
        before_task_publish.disconnect(capture)
    assert published["__django_structlog__"]["request_id"] == "req-abcdef12"


# --- Sentry ------------------------------------------------------------------------------


def test_nothing_about_a_person_is_sent_to_sentry():
    event = {
        "request": {
            "url": "https://sp.example/search/?q=Gwen+Pritchard",
            "query_string": "q=Gwen+Pritchard",
            "data": {"nhs_number": "9434765919"},
            "cookies": {"sessionid": "abc"},
            "headers": {"Cookie": "sessionid=abc", "User-Agent": "Firefox", "Referer": "/x?q=Gwen"},
            "env": {"REMOTE_ADDR": "10.0.0.1"},
        },
        "user": {"id": "7", "email": "rhian@example.org", "username": "rhian"},
        "breadcrumbs": {
            "values": [{"category": "query", "message": "SELECT", "data": {"p": "Gwen"}}]
        },
    }
    scrubbed = sentry.scrub(event)
    assert "Gwen" not in json.dumps(scrubbed) and "9434765919" not in json.dumps(scrubbed)
    assert scrubbed["request"] == {
        "url": "https://sp.example/search/",
        "headers": {"User-Agent": "Firefox"},
    }
    assert scrubbed["user"] == {"id": "7"}


# Run in a process of its own: the SDK's integrations, once set up, stay wrapped round Django,
# Celery and threads for the life of the process (a later init without a DSN leaves them), and
# the rest of the suite runs as a deployment without SENTRY_DSN does.
SENTRY_CHILD = """
import sys

import django
import sentry_sdk

django.setup()
from config import sentry

sentry.sentry_init(dsn=sys.argv[1], environment="test", release="", traces_sample_rate=0.0)
try:
    secret_name = " ".join(["Gwen", "Pritchard"])  # a local the report must not carry
    raise ValueError("boom")
except ValueError as error:
    sentry_sdk.capture_exception(error)
sentry_sdk.flush(timeout=5)
"""


def test_an_error_reaches_a_sentry_server_without_the_request():
    """A real SDK sending to a small Sentry stand-in on loopback."""
    import gzip
    import subprocess
    import sys
    from http.server import BaseHTTPRequestHandler, HTTPServer

    import brotli

    received: list[bytes] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            encoding = self.headers.get("Content-Encoding")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "br":
                body = brotli.decompress(body)
            received.append(body)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    serve_in_background(server)
    try:
        subprocess.run(
            [sys.executable, "-c", SENTRY_CHILD, f"http://public@127.0.0.1:{server.server_port}/1"],
            check=True,
            timeout=120,
        )
    finally:
        server.shutdown()
    assert received, "no event reached the stand-in"
    body = b"".join(received).decode()
    assert "boom" in body and "ValueError" in body
    assert "Gwen Pritchard" not in body


def test_the_workers_own_handlers_write_json_lines(settings, tmp_path):
    """Celery makes the worker's handlers (stderr or --logfile); they get the project's format."""
    from config.celery import structured_worker_logs

    settings.LOG_FORMAT = "json"
    logger = logging.getLogger("sp-test-worker")
    logger.propagate = False
    handler = logging.FileHandler(tmp_path / "worker.log")
    logger.addHandler(handler)
    try:
        structured_worker_logs(logger=logger)
        with structlog.contextvars.bound_contextvars(request_id="req-87654321"):
            logger.warning("Task %s succeeded", "config.ping")
        handler.flush()
    finally:
        logger.removeHandler(handler)
        handler.close()
    line = json.loads((tmp_path / "worker.log").read_text())
    assert line["event"] == "Task config.ping succeeded"
    assert line["request_id"] == "req-87654321"
