"""The partner API against a bare DRF endpoint, side by side in one run (README, "Speed").

Both are served by one gunicorn (WORKERS sync workers, DEBUG off, the site's settings
with the bare endpoints of bench/bare.py added) on the bench database, and driven by a
small load client: CONCURRENCY threads, each sending one request after another on a
new connection, as gunicorn's sync workers want. For each shape (a create, a read of
one referral, the list) the two are measured in turns, ROUNDS times SECONDS each, and
the requests per second of each and their ratio printed; the API must stay within
TARGET_RATIO of the bare endpoint. The statements each request runs are counted too
(in this process, through Django's test client), as a figure that noise cannot blur.
"""

import http.client
import itertools
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

WORKERS = 3
CONCURRENCY = 8
# Many short turns rather than a few long ones: on a shared machine the speed of the
# moment drifts, and turns of a second each put both sides through the same drift (two
# turns of 4 s gave the same version 1.90x and 2.29x in runs a minute apart).
ROUNDS = 8
SECONDS = 1.0
TARGET_RATIO = 2.0


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    expect: int
    body: bytes | None = None
    headers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Shape:
    name: str
    api: Callable[[int], Call]
    bare: Callable[[int], Call]


@dataclass
class Load:
    done: int = 0
    seconds: float = 0.0
    failures: int = 0
    first_failure: str = ""

    @property
    def per_second(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def _send(port: int, call: Call) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(call.method, call.path, body=call.body, headers=call.headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# Each request's number, never the same twice in a run: a create's person is new each time
# (numbered afresh for each turn, from the second turn on each was the first's possible
# duplicate, which writes more).
_numbers = itertools.count()


def drive(port: int, make: Callable[[int], Call], seconds: float, concurrency: int) -> Load:
    """Send requests from `concurrency` threads for `seconds`; count the answers as expected."""
    numbers = _numbers
    result = Load()
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker():
        done = failures = 0
        failure = ""
        while time.monotonic() < stop_at:
            call = make(next(numbers))
            try:
                status, body = _send(port, call)
            except OSError as error:
                status, body = 0, str(error).encode()
            if status == call.expect:
                done += 1
            else:
                failures += 1
                failure = failure or f"{call.method} {call.path}: {status} {body[:300]!r}"
        with lock:
            result.done += done
            result.failures += failures
            result.first_failure = result.first_failure or failure

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(database_name: str, port: int) -> subprocess.Popen:
    """gunicorn with the site's settings, DEBUG off, on the bench database."""
    url = urlsplit(os.environ["DATABASE_URL"])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": urlunsplit(url._replace(path=f"/{database_name}")),
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # WhiteNoise warns in each worker when collectstatic has not run; not what is timed.
        "PYTHONWARNINGS": "ignore:No directory at",
    }
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    env.setdefault("STATISTICS_CELL_KEY_SECRET", secrets.token_urlsafe(50))
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped at start ({server.returncode})")
        try:
            if _send(port, Call("GET", "/healthz", 200))[0] in (200, 503):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def _shapes(token: str, organisation_id: int, read: str, bare_target: str) -> list[Shape]:
    run = secrets.token_hex(3)
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def create(n: int) -> Call:
        # A new person each time (the most statements), with an Idempotency-Key, as a
        # partner system retrying safely sends it.
        body = {
            "person": {
                "given_name": f"Bench{n}",
                "family_name": f"Partner{run}",
                "date_of_birth": "1950-01-01",
                "postcode": "CF37 1AB",
                "contact_method": "phone",
                "phone": "07700 900123",
            },
            "reasons": ["loneliness"],
            "what_matters": "Getting out of the house again.",
            "urgency": "routine",
            "consent_to_referral": True,
            "consent_to_share": True,
            "referrer": {"name": "Dr Bench"},
        }
        headers = {**auth, "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
        return Call("POST", "/api/v1/referrals/", 201, json.dumps(body).encode(), headers)

    def bare_create(n: int) -> Call:
        body = json.dumps({"kind": "note", "note": f"Bench note {n}"}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        return Call("POST", f"/bench/bare/referrals/{bare_target}/events/", 201, body, headers)

    plain = {"Accept": "application/json"}
    return [
        Shape("create", create, bare_create),
        Shape(
            "read one",
            lambda n: Call("GET", f"/api/v1/referrals/{read}/", 200, headers=auth),
            lambda n: Call("GET", f"/bench/bare/referrals/{read}/", 200, headers=plain),
        ),
        Shape(
            "list, 50 a page",
            lambda n: Call("GET", "/api/v1/referrals/", 200, headers=auth),
            lambda n: Call(
                "GET", f"/bench/bare/organisations/{organisation_id}/referrals/", 200, headers=plain
            ),
        ),
    ]


CPU_REQUESTS = 30
CPU_TURN = 10
# --api-cpu: CPU time alone, counted over more requests a side.
CPU_REQUESTS_ALONE = 300


@contextmanager
def _logging_off():
    """The request log aside (gunicorn's workers keep it): what is counted is the work."""
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def _in_process(shape: Shape, requests: int = 0) -> tuple[int, int, float, float]:
    """(statements, statements, CPU ms, CPU ms) of one request of each side, API first.

    Counted in this process through Django's test client, on the second request (the
    first fills this process's caches); transaction control aside. The CPU time is
    this process's own per request over `requests` requests (CPU_REQUESTS unless given;
    the database's and Redis's aside, and with logging off): unlike requests per second,
    hardly moved by what else the machine is doing.
    """
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from core import prepared

    client = Client(HTTP_HOST="localhost")
    counts: list[int] = []
    numbers = _numbers

    def send(make: Callable[[int], Call]) -> None:
        call = make(next(numbers))
        headers = {k: v for k, v in call.headers.items() if k != "Content-Type"}
        response = client.generic(
            call.method,
            call.path,
            call.body or b"",
            content_type=call.headers.get("Content-Type", ""),
            headers=headers,
        )
        if response.status_code != call.expect:
            raise AssertionError(f"{call.path} answered {response.status_code}")

    sides = (shape.api, shape.bare)
    with override_settings(ROOT_URLCONF="bench.urls"), _logging_off():
        for make in sides:
            send(make)
            with CaptureQueriesContext(connection) as queries:
                send(make)
            # A PREPARE (the first time this connection meets a statement: core.prepared)
            # is not the request's own.
            sent = [query["sql"] for query in queries.captured_queries]
            counts.append(len([sql for sql in sent if not prepared.is_preparation(sql)]))
        # The two sides take turns, CPU_TURN requests at a time, so a burst of other work
        # on the machine weighs on both alike.
        cpu = [0.0, 0.0]
        requests = requests or CPU_REQUESTS
        for turn in range(0, requests, CPU_TURN):
            for side, make in enumerate(sides):
                started = time.process_time()
                for _ in range(min(CPU_TURN, requests - turn)):
                    send(make)
                cpu[side] += time.process_time() - started
    api_cpu, bare_cpu = (seconds * 1000 / requests for seconds in cpu)
    return counts[0], counts[1], api_cpu, bare_cpu


def _partner(organisation_id: int):
    from accounts.models import ApiScope
    from accounts.services import api_client_create

    return api_client_create(
        name=f"Bench partner {secrets.token_hex(3)}",
        organisation=client_organisation(organisation_id),
        scopes=[ApiScope.REFERRALS_WRITE, ApiScope.REFERRALS_READ],
        rate_limit=1_000_000,  # the limit is counted, never reached
    )


def _targets():
    """(busiest organisation's row, its newest referral's uuid, its oldest's), or None."""
    from django.db.models import Count

    from referrals.models import Referral

    busiest = (
        Referral.objects.exclude(referring_organisation=None)
        .values("referring_organisation")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    if busiest is None:
        return None
    mine = Referral.objects.filter(referring_organisation_id=busiest["referring_organisation"])
    read = mine.order_by("-received_at", "-pk").values_list("uuid", flat=True).first()
    bare_target = mine.order_by("received_at", "pk").values_list("uuid", flat=True).first()
    return busiest, str(read), str(bare_target)


def measure_cpu(rounds: int) -> None:
    """`--api-cpu ROUNDS`: only the in-process CPU per request of each shape, API and bare
    back to back, ROUNDS times (no gunicorn): the figure to compare two versions by."""
    from accounts.services import api_client_revoke

    targets = _targets()
    if targets is None:
        print("partner API: no referrals to read (generate some with --referrals)\n")
        return
    busiest, read, bare_target = targets
    client, token = _partner(busiest["referring_organisation"])
    try:
        shapes = _shapes(token, busiest["referring_organisation"], read, bare_target)
        load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
        print(
            f"partner API CPU ms per request in-process, {CPU_REQUESTS_ALONE} requests a side, "
            f"logging off; load average {load}"
        )
        print(f"{'shape':<16} {'statements':<10} CPU ms/request, API / bare (ratio) each round")
        for shape in shapes:
            figures = [_in_process(shape, CPU_REQUESTS_ALONE) for _ in range(rounds)]
            api_statements, bare_statements = figures[0][:2]
            each = "  ".join(f"{a:.1f} / {b:.1f} ({a / b:.2f}x)" for _, _, a, b in figures)
            print(
                f"{shape.name:<16} {api_statements:>3} / {bare_statements:<4}  {each}", flush=True
            )
        print()
    finally:
        api_client_revoke(client=client)


def measure(database_name: str, *, seconds: float = SECONDS, rounds: int = ROUNDS) -> bool:
    """Print the side-by-side figures; True when every shape is within TARGET_RATIO."""
    from accounts.services import api_client_revoke

    targets = _targets()
    if targets is None:
        print("partner API: no referrals to read (generate some with --referrals)\n")
        return False
    busiest, read, bare_target = targets
    organisation_id = busiest["referring_organisation"]
    client, token = _partner(organisation_id)
    shapes = _shapes(token, organisation_id, read, bare_target)
    port = _free_port()
    server = serve(database_name, port)
    met = True
    try:
        load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
        print(
            f"partner API against a bare DRF endpoint: gunicorn with {WORKERS} workers, "
            f"DEBUG off, concurrency {CONCURRENCY}, {rounds} turns of {seconds:g} s each; "
            f"{busiest['n']:,} referrals in the client's list; load average {load}"
        )
        print(
            f"{'shape':<16} {'API req/s':>9} {'bare req/s':>10} {'ratio':>6}  "
            f"{'statements':<10} {'CPU ms/request':<17} target"
        )
        for shape in shapes:
            api_statements, bare_statements, api_cpu, bare_cpu = _in_process(shape)
            for make in (shape.api, shape.bare):  # warm every worker up
                drive(port, make, 0.5, CONCURRENCY)
            api, bare = Load(), Load()
            for _ in range(rounds):
                for total, make in ((bare, shape.bare), (api, shape.api)):
                    one = drive(port, make, seconds, CONCURRENCY)
                    total.done += one.done
                    total.seconds += one.seconds
                    total.failures += one.failures
                    total.first_failure = total.first_failure or one.first_failure
            ratio = bare.per_second / api.per_second if api.per_second else float("inf")
            verdict = (
                ""
                if ratio <= TARGET_RATIO and not (api.failures or bare.failures)
                else ("  MISSED")
            )
            met &= not verdict
            print(
                f"{shape.name:<16} {api.per_second:>9.0f} {bare.per_second:>10.0f} "
                f"{ratio:>5.2f}x  {api_statements:>3} / {bare_statements:<4} "
                f"{api_cpu:>5.1f} / {bare_cpu:<4.1f} {api_cpu / bare_cpu:>4.1f}x "
                f"<= {TARGET_RATIO:g}x{verdict}",
                flush=True,
            )
            for side, total in (("API", api), ("bare", bare)):
                if total.failures:
                    print(f"  {side}: {total.failures} unexpected answers, first: "
                          f"{total.first_failure}")  # fmt: skip
        print()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        api_client_revoke(client=client)
    return met


def client_organisation(organisation_id: int):
    from accounts.models import Organisation

    return Organisation.objects.get(pk=organisation_id)
