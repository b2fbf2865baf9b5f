"""The rate-limit cache fails open, and during an outage asks Redis only every few seconds.

Redis at a port nothing listens on: every call answers "nothing" (no count, so no
limit), logged. After one failure the cache rests for PAUSE_SECONDS, so a request
pays for at most one failed call, and the log says so once, not once per request.
"""

from unittest import mock

import pytest
from redis.connection import AbstractConnection

from core import cache as fail_open
from tests.outage import RedisServer, closed_port, needs_redis_server


@pytest.fixture
def down():
    return fail_open.FailOpenRedisCache(
        f"redis://127.0.0.1:{closed_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}},
    )


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(fail_open.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def attempts():
    counted = {"count": 0}
    real = AbstractConnection.connect

    def connect(connection):
        counted["count"] += 1
        return real(connection)

    with mock.patch.object(AbstractConnection, "connect", connect):
        yield counted


def test_it_answers_nothing_when_redis_is_down(down, clock):
    assert down.get("k", "default") == "default"
    assert down.add("k", 1, 60) is False
    assert down.incr("k") is None
    down.set("k", 1, 60)  # no error


def test_after_a_failure_it_rests_before_asking_again(down, clock, attempts, caplog):
    down.get("k")
    assert attempts["count"] == 1
    for _ in range(10):
        down.get("k"), down.add("k", 1, 60), down.incr("k")
    assert attempts["count"] == 1
    assert caplog.text.count("rate limits are not enforced") == 1
    clock[0] += fail_open.PAUSE_SECONDS
    down.get("k")
    assert attempts["count"] == 2


def test_a_claim_answers_that_it_cannot_say_when_redis_is_down(down, clock):
    assert down.claim_or_read("bell", 12.5, 60) == (None, 12.5)


@needs_redis_server
def test_a_claim_sets_the_key_once_and_tells_the_others_what_it_holds(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    try:
        bell = fail_open.FailOpenRedisCache(server.url(), {})
        assert bell.claim_or_read("bell", 1_800_000_001.25, 60) == (True, 1_800_000_001.25)
        # Another ring while it is set: not claimed, and when the first one's run starts.
        assert bell.claim_or_read("bell", 1_800_000_009.0, 60) == (False, 1_800_000_001.25)
        assert 0 < server.client().pttl(bell.make_and_validate_key("bell")) <= 60_000
        bell.delete("bell")
        assert bell.claim_or_read("bell", 1_800_000_009.0, 60) == (True, 1_800_000_009.0)
        # Something else in the key (an older release's 1): a time long past.
        bell.set("bell", "not a time", 60)
        assert bell.claim_or_read("bell", 5.0, 60) == (False, 0.0)
    finally:
        server.stop()
