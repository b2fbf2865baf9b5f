"""Database connections cut (pg_terminate_backend) during partner API writes (issue 18).

A partner posts referrals, each with its own Idempotency-Key. Some connections are cut
between calls: the persistent connection (CONN_MAX_AGE) is dead when the next call comes,
and the health check (CONN_HEALTH_CHECKS) replaces it, so the call answers 201 as usual.
Some are cut in the middle of a call's transaction (at its Nth statement): that call
answers 503 problem JSON with Retry-After, never 500 or HTML, and the partner sends it
again with the same key. Then every referral is there once: nothing lost, nothing doubled.
"""

import psycopg2
import pytest
from django.conf import settings
from django.db import close_old_connections, connection

from core import prepared
from referrals.models import ApiIdempotencyKey, Referral
from tests.outage import database_url

pytestmark = [
    pytest.mark.fault,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="pg_terminate_backend: run with DATABASE_URL pointing at PostgreSQL (CI does)",
    ),
]

URL = "/api/v1/referrals/"


def our_backend_pid() -> int:
    connection.ensure_connection()
    return connection.connection.info.backend_pid


class Cutter:
    """Another session that terminates ours: from outside, as an outage or a failover does."""

    def __init__(self) -> None:
        self.session = psycopg2.connect(database_url(), connect_timeout=5)
        self.session.autocommit = True
        self.cuts = 0

    def cut(self, pid: int) -> None:
        with self.session.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0]
        self.cuts += 1

    def at_statement(self, n: int):
        """A connection.execute_wrapper cutting our session just before its nth statement."""
        seen = {"n": 0}

        def wrapper(execute, sql, params, many, context):
            if prepared.is_preparation(sql):
                return execute(sql, params, many, context)
            seen["n"] += 1
            if seen["n"] == n:
                self.cut(our_backend_pid())
            return execute(sql, params, many, context)

        return wrapper

    def close(self) -> None:
        self.session.close()


def body(referral_body, n):
    return {**referral_body, "person": {**referral_body["person"], "given_name": f"Glenys{n}"},
            "what_matters": f"Call {n}."}  # fmt: skip


def test_connections_cut_during_api_writes_lose_and_double_nothing(afon_emis, referral_body):
    cutter = Cutter()
    answers = []
    try:
        for n in range(12):
            key = f"00000000-0000-4000-8000-{n:012d}"
            if n in (2, 7):  # cut between calls: the next call finds it dead, and reconnects
                cutter.cut(our_backend_pid())
            if n in (4, 9, 10):  # cut in the middle of the call's transaction
                # The call runs three statements (the match-key lock with the match, the
                # referral, then its events, audit row, notice and key in one round trip;
                # a new connection first prepares each: core.prepared, not counted here):
                # cut at the 3rd, 3rd and 2nd.
                with connection.execute_wrapper(cutter.at_statement({4: 3, 9: 3, 10: 2}[n])):
                    response = afon_emis.post(URL, body(referral_body, n), HTTP_IDEMPOTENCY_KEY=key)
            else:
                response = afon_emis.post(URL, body(referral_body, n), HTTP_IDEMPOTENCY_KEY=key)
            answers.append(response.status_code)
            # What a new request does in production (request_started): a dead connection is
            # closed and the next query opens a new one. The test client leaves it to us.
            close_old_connections()
            if response.status_code == 503:
                assert response["Content-Type"] == "application/problem+json"
                assert response["Retry-After"]
                assert response.json()["status"] == 503
                again = afon_emis.post(URL, body(referral_body, n), HTTP_IDEMPOTENCY_KEY=key)
                assert again.status_code in (200, 201), again.content[:500]
            else:
                assert response.status_code == 201, response.content[:500]
    finally:
        cutter.close()

    # The calls cut in the middle answered 503; those after a cut between calls, 201.
    assert [n for n, status in enumerate(answers) if status == 503] == [4, 9, 10], answers
    assert cutter.cuts == 5
    # Nothing lost, nothing doubled: one referral per call, one key each.
    made = Referral.objects.filter(what_matters__startswith="Call ")
    assert sorted(made.values_list("what_matters", flat=True)) == sorted(
        f"Call {n}." for n in range(12)
    )
    assert ApiIdempotencyKey.objects.count() == 12
