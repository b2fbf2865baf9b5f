"""Scale-out, shown on this machine (README, "Scaling out"; issue 18, point 7).

    .venv/bin/python scripts/scale_out_check.py [--seconds 15] [--concurrency 8]

Starts everything it needs on free ports of 127.0.0.1, under a directory of its
own, and stops it all at the end, whatever happens:

- a PostgreSQL primary (initdb) and a streaming replica of it (pg_basebackup);
- a redis-server, for the broker and the caches;
- two web processes (gunicorn, one worker each) behind HAProxy;
- two Celery workers and one beat; email to files (one per message).

Then it drives partner API traffic (new referrals, each with its own
Idempotency-Key, and reads of them) through HAProxy for a fixed time, first
with one web process in service and then with both, and checks:

- throughput with two web processes against one;
- every referral the API answered 201 for is in the database once, and no other;
- every email in the outbox was sent once: one file per message, no Message-ID twice;
- no Celery task ran twice (task ids in the workers' JSON logs);
- the statistics page read its figures from the replica (the replica's own
  statement counts rise while it is drawn).

It prints a table and exits 1 if any check fails. Bounded: about two minutes.
"""

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PG_BIN = Path("/usr/lib/postgresql") / sorted(os.listdir("/usr/lib/postgresql"))[-1] / "bin"
DEADLINE = time.monotonic() + 600
# Tasks sent at once for the two workers to share.
BURST = 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, what: str, seconds: float = 120) -> None:
    end = min(time.monotonic() + seconds, DEADLINE)
    while time.monotonic() < end:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 (not up yet)
            pass
        time.sleep(0.3)
    raise SystemExit(f"scale-out check: gave up waiting for {what}")


def nhs_number(rng: random.Random) -> str:
    """A valid NHS number (modulus 11 check digit) in the 999 test range."""
    while True:
        digits = [9, 9, 9] + [rng.randrange(10) for _ in range(6)]
        total = sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits + [check]))


class Stack:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.processes: list[subprocess.Popen] = []
        self.pg_dirs: list[Path] = []
        self.primary_port = free_port()
        self.replica_port = free_port()
        self.redis_port = free_port()
        self.web_ports = [free_port(), free_port()]
        self.lb_port = free_port()
        self.mail_dir = base / "mail"
        self.mail_dir.mkdir()
        self.logs = base / "logs"
        self.logs.mkdir()
        self.env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": "scale-out-check-" + uuid.uuid4().hex,
            "STATISTICS_CELL_KEY_SECRET": "scale-out-check",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.primary_port}/sp",
            "DATABASE_REPLICA_URL": f"postgres://postgres@127.0.0.1:{self.replica_port}/sp",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/1",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "EMAIL_URL": f"filemail:///{self.mail_dir}",  # four slashes: an absolute path
            "LOG_FORMAT": "json",
            "OTP_REQUIRED": "0",
            "HEARTBEAT_SECONDS": "2",
            # The traffic uses NHS numbers from the synthetic test range, as a staging system does.
            "NHS_NUMBER_ACCEPT_TEST_RANGE": "1",
        }

    # -- services --------------------------------------------------------------------------

    def _as_postgres(self, args: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args

    def start(self, args: list[str], name: str, **kwargs) -> subprocess.Popen:
        out = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=kwargs.pop("env", self.env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **kwargs,
        )
        self.processes.append(process)
        return process

    def postgres(self) -> None:
        primary = self.base / "primary"
        replica = self.base / "replica"
        sockets = self.base / "sockets"
        for directory in (primary, replica, sockets):
            directory.mkdir(mode=0o700)
            if os.geteuid() == 0:
                shutil.chown(directory, "postgres")
            self.pg_dirs.append(directory)
        subprocess.run(
            self._as_postgres(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(primary),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = [
            "-c",
            "fsync=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "wal_level=replica",
            "-c",
            "max_wal_senders=4",
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={sockets}",
        ]
        self.start(
            self._as_postgres(
                [
                    str(PG_BIN / "postgres"),
                    "-D",
                    str(primary),
                    "-p",
                    str(self.primary_port),
                    *options,
                ]
            ),
            "primary",
            env=os.environ,
        )
        wait_for(lambda: self._pg_ready(self.primary_port), "the PostgreSQL primary")
        self._psql(self.primary_port, "postgres", "CREATE DATABASE sp")
        subprocess.run(
            self._as_postgres(
                [
                    str(PG_BIN / "pg_basebackup"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.primary_port),
                    "-U",
                    "postgres",
                    "-D",
                    str(replica),
                    "-R",
                    "-X",
                    "stream",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.start(
            self._as_postgres(
                [
                    str(PG_BIN / "postgres"),
                    "-D",
                    str(replica),
                    "-p",
                    str(self.replica_port),
                    *options,
                    "-c",
                    "hot_standby=on",
                ]
            ),
            "replica",
            env=os.environ,
        )
        wait_for(lambda: self._pg_ready(self.replica_port), "the PostgreSQL replica")

    def _pg_ready(self, port: int) -> bool:
        return (
            subprocess.run(
                [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-q"]
            ).returncode
            == 0
        )

    def _psql(self, port: int, db: str, sql: str) -> str:
        return subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", db, "-tAc", sql],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    def sql(self, sql: str, *, replica: bool = False) -> str:
        return self._psql(self.replica_port if replica else self.primary_port, "sp", sql)

    def redis(self) -> None:
        self.start(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.base),
            ],
            "redis",
        )
        wait_for(
            lambda: (
                subprocess.run(
                    ["redis-cli", "-p", str(self.redis_port), "ping"], capture_output=True
                ).stdout.strip()
                == b"PONG"
            ),
            "Redis",
        )

    def manage(self, *args: str, **env: str) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def webs(self) -> None:
        for index, port in enumerate(self.web_ports):
            self.start(
                [
                    str(ROOT / ".venv" / "bin" / "gunicorn"),
                    "config.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "1",
                ],
                f"web{index + 1}",
            )
        for port in self.web_ports:
            wait_for(lambda port=port: self._get(port, "/healthz")[0] == 200, f"web on {port}")

    def workers(self) -> None:
        for index in (1, 2):
            self.start(
                [
                    PYTHON,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=1",
                    "--without-mingle",
                    "--without-gossip",
                    f"--hostname=worker{index}@scale",
                    "--loglevel=info",
                ],
                f"worker{index}",
            )
        self.start(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel=info",
                "--schedule",
                str(self.base / "beat-schedule"),
            ],
            "beat",
        )

    def balancer(self, servers: int) -> subprocess.Popen:
        config = self.base / f"haproxy-{servers}.cfg"
        lines = [
            "global",
            "  maxconn 256",
            "defaults",
            "  mode http",
            "  timeout connect 5s",
            "  timeout client 30s",
            "  timeout server 30s",
            "frontend web",
            f"  bind 127.0.0.1:{self.lb_port}",
            "  http-request set-header X-Forwarded-Proto https",
            "  default_backend app",
            "backend app",
            "  balance roundrobin",
            "  option httpchk GET /healthz",
            "  http-check send hdr X-Forwarded-Proto https",
        ] + [
            f"  server web{i + 1} 127.0.0.1:{port} check"
            for i, port in enumerate(self.web_ports[:servers])
        ]
        config.write_text("\n".join(lines) + "\n")
        process = self.start(["haproxy", "-f", str(config), "-db"], f"haproxy-{servers}")
        wait_for(lambda: self._get(self.lb_port, "/healthz")[0] == 200, "HAProxy")
        return process

    def _get(self, port: int, path: str) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", path, headers={"X-Forwarded-Proto": "https"})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def drive(port: int, token: str, seconds: float, concurrency: int, seed: int) -> dict:
    """Partner API traffic for `seconds`: each round makes a referral and reads it back."""
    created: list[str] = []
    statuses: Counter = Counter()
    samples: dict[int, str] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        while time.monotonic() < stop_at:
            body = {
                "person": {
                    "given_name": "Load",
                    "family_name": f"Test{rng.randrange(10**6)}",
                    "date_of_birth": "1950-01-01",
                    "nhs_number": nhs_number(rng),
                    "postcode": "CF42 6AA",
                    "phone": "07700 900123",
                    "contact_method": "phone",
                    "preferred_language": "en",
                },
                "reasons": ["loneliness"],
                "what_matters": "Company.",
                "urgency": "routine",
                "consent_to_referral": True,
                "consent_to_share": True,
                "gp_feedback": "everything",
                "referrer": {"name": "Dr Load", "role": "GP"},
            }
            try:
                conn.request(
                    "POST",
                    "/api/v1/referrals/",
                    json.dumps(body),
                    {**headers, "Idempotency-Key": str(uuid.uuid4())},
                )
                response = conn.getresponse()
                answer = response.read()
                with lock:
                    statuses[f"POST {response.status}"] += 1
                if response.status != 201:
                    with lock:
                        samples.setdefault(response.status, answer[:400].decode(errors="replace"))
                    continue
                referral_id = json.loads(answer)["id"]
                with lock:
                    created.append(referral_id)
                conn.request("GET", f"/api/v1/referrals/{referral_id}/", headers=headers)
                response = conn.getresponse()
                response.read()
                with lock:
                    statuses[f"GET {response.status}"] += 1
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    statuses[f"error {type(error).__name__}"] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    requests = sum(statuses.values())
    for status, sample in samples.items():
        print(f"  an answer {status}: {sample}")
    return {"created": created, "statuses": statuses, "rate": requests / elapsed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=8)
    options = parser.parse_args()
    for tool in ("haproxy", "redis-server", "psql"):
        if shutil.which(tool) is None:
            print(f"scale-out check: {tool} is not installed (apt-get install {tool})")
            return 2
    base = Path(tempfile.mkdtemp(prefix="sp-scale-"))
    os.chmod(base, 0o755)
    stack = Stack(base)
    failures: list[str] = []
    finished = False
    try:
        print("starting PostgreSQL primary and replica, Redis ...", flush=True)
        stack.postgres()
        stack.redis()
        print("migrating and seeding the demo ...", flush=True)
        stack.manage("migrate", "--noinput", "-v0")
        # The demo refuses to load with DEBUG off; the processes below run with it off.
        stack.manage("seed_demo", DEBUG="1", CELERY_TASK_ALWAYS_EAGER="1")
        token = stack.manage(
            "create_api_client",
            "Scale-out check",
            "--organisation",
            "W99001",
            "--scopes",
            "referrals:write,referrals:read",
            "--rate-limit",
            "1000000",
        )
        token = next(word for word in token.split() if word.startswith("spk_"))
        before = int(stack.sql("SELECT count(*) FROM referrals_referral"))
        load_began = stack.sql("SELECT now()")
        unsent_before = int(
            stack.sql("SELECT count(*) FROM referrals_outboxemail WHERE sent_at IS NULL")
        )
        print("starting two web processes, two workers and beat ...", flush=True)
        stack.webs()
        stack.workers()

        results = {}
        for servers in (1, 2):
            balancer = stack.balancer(servers)
            drive(stack.lb_port, token, 2, options.concurrency, seed=servers * 7)  # warm up
            results[servers] = drive(
                stack.lb_port, token, options.seconds, options.concurrency, seed=servers
            )
            os.killpg(balancer.pid, signal.SIGTERM)
            balancer.wait(timeout=10)

        # A burst of tasks for the two workers to share, beside what the traffic queued.
        subprocess.run(
            [
                PYTHON,
                "-c",
                (
                    "import django; django.setup();"
                    "from config.celery import app;"
                    f"[app.send_task('config.ping') for _ in range({BURST})]"
                ),
            ],
            cwd=ROOT,
            env={**stack.env, "DJANGO_SETTINGS_MODULE": "config.settings"},
            check=True,
            capture_output=True,
        )

        created = [rid for result in results.values() for rid in result["created"]]
        # Warm-up referrals are in the database too: count all the check made.
        made_by_api = int(stack.sql("SELECT count(*) FROM referrals_referral")) - before
        in_db = (
            set(
                stack.sql(
                    "SELECT uuid::text FROM referrals_referral WHERE uuid::text IN ("
                    + ",".join(f"'{rid}'" for rid in created)
                    + ")"
                ).split()
            )
            if created
            else set()
        )
        lost = len(set(created) - in_db)
        doubled = len(created) - len(set(created))

        # Let the workers send what the traffic queued (the outbox's sweep is the safety net).
        new_emails = f"FROM referrals_outboxemail WHERE created_at >= '{load_began}'"

        def outbox_done() -> bool:
            return stack.sql(f"SELECT count(*) {new_emails} AND sent_at IS NULL") == "0"

        wait_for(outbox_done, "the outbox to send what the traffic queued", seconds=120)
        outbox = int(stack.sql(f"SELECT count(*) {new_emails}"))
        message_ids: Counter = Counter()
        for path in stack.mail_dir.iterdir():
            for line in path.read_text(errors="replace").splitlines():
                if line.lower().startswith("message-id:"):
                    message_ids[line.split(":", 1)[1].strip()] += 1
        mails_doubled = sum(count - 1 for count in message_ids.values() if count > 1)
        mails_lost = outbox - len(message_ids)

        def task_runs_seen() -> tuple[Counter, Counter, int]:
            runs: Counter = Counter()
            by_worker: Counter = Counter()
            pings = 0
            for index in (1, 2):
                for line in (stack.logs / f"worker{index}.log").read_text().splitlines():
                    if line.startswith("{") and '"task_succeeded"' in line:
                        runs[json.loads(line).get("task_id")] += 1
                        by_worker[index] += 1
                    if line.startswith("{") and '"task_started"' in line and "config.ping" in line:
                        pings += 1
            return runs, by_worker, pings

        wait_for(lambda: task_runs_seen()[2] >= BURST, "the workers to run the burst", 120)
        task_runs, by_worker, _pings = task_runs_seen()
        tasks_twice = sum(1 for count in task_runs.values() if count > 1)
        workers_used = len(by_worker)

        # The statistics page from the replica: its statement count rises while it is drawn.
        before_reads = int(
            stack.sql(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'sp'",
                replica=True,
            )
        )
        page = subprocess.run(
            [
                PYTHON,
                "-c",
                (
                    "import django, os; django.setup();"
                    "from django.test import Client;"
                    "from accounts.models import User;"
                    "c = Client(HTTP_X_FORWARDED_PROTO='https', SERVER_NAME='localhost');"
                    "c.force_login(User.objects.get(username='commissioner'));"
                    "r = c.get('/reporting/', secure=True); print(r.status_code)"
                ),
            ],
            # DEBUG on for this one process only: it draws a page without collected static files.
            cwd=ROOT,
            env={**stack.env, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"},
            capture_output=True,
            text=True,
            check=False,
        )
        time.sleep(0.6)  # the statistics collector reports at most every 500 ms
        after_reads = int(
            stack.sql(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'sp'",
                replica=True,
            )
        )
        replica_reads = after_reads - before_reads - 2  # our own two questions
        replica_lag = stack.sql(
            "SELECT coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)",
            replica=True,
        )

        one, two = results[1], results[2]
        print()
        print("| measurement | one web process | two web processes |")
        print("| --- | --- | --- |")
        print(f"| requests/s (POST a referral, GET it) | {one['rate']:.1f} | {two['rate']:.1f} |")
        print(f"| answers | {dict(one['statuses'])} | {dict(two['statuses'])} |")
        print()
        print(f"throughput ratio two/one: {two['rate'] / one['rate']:.2f}")
        print(
            f"referrals answered 201: {len(created)}; lost: {lost}; doubled: {doubled};"
            f" new rows in the database: {made_by_api} (warm-up included)"
        )
        print(
            f"emails the traffic queued: {outbox}; delivered: {len(message_ids)};"
            f" lost: {mails_lost}; delivered twice: {mails_doubled};"
            f" (left unsent by the demo data before: {unsent_before})"
        )
        print(
            f"Celery tasks run: {len(task_runs)} (worker 1: {by_worker[1]}, worker 2:"
            f" {by_worker[2]}); run twice: {tasks_twice}"
        )
        print(
            f"statistics page: HTTP {page.stdout.strip() or page.stderr[-500:]};"
            f" transactions on the replica while drawn: {replica_reads};"
            f" replica lag {float(replica_lag):.1f} s"
        )
        if two["rate"] <= one["rate"]:
            failures.append("two web processes were not faster than one")
        if lost or doubled:
            failures.append("referrals lost or doubled")
        if mails_lost or mails_doubled:
            failures.append("emails lost or doubled")
        if tasks_twice:
            failures.append("a Celery task ran twice")
        if workers_used < 2:
            failures.append("the second worker took no task")
        if page.stdout.strip() != "200" or replica_reads < 1:
            failures.append("the statistics page did not read from the replica")
        if any(
            key.startswith(("POST 5", "GET 5", "error"))
            for r in results.values()
            for key in r["statuses"]
        ):
            failures.append("server errors or connection errors under load")
        finished = True
    finally:
        stack.stop()
        if finished and not failures:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"logs kept in {base / 'logs'}")
    for failure in failures:
        print(f"FAILED: {failure}")
    print("scale-out check:", "failed" if failures else "passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
