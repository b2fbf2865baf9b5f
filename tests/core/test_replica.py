"""Statistics reads from a read replica (issue 18, point 7; README, "Scaling out").

Only reads inside replica_reads() may go to the replica, never writes, never reads inside a
transaction, and never while the replica is out of reach or too far behind. The whole path
against a real streaming replica is shown by scripts/scale_out_check.py.
"""

import pytest
from django.db import DatabaseError, transaction

from core import replica
from referrals.models import Referral
from reporting.models import RollupRun

ROUTER = replica.ReplicaRouter()


@pytest.fixture(autouse=True)
def fresh_state():
    replica.replica_forget_state()
    yield
    replica.replica_forget_state()


@pytest.fixture
def with_replica(settings, monkeypatch):
    settings.DATABASES = {**settings.DATABASES, "replica": dict(settings.DATABASES["default"])}
    monkeypatch.setattr(replica, "_close_replica", lambda: None)


def test_without_a_replica_everything_reads_the_primary():
    with replica.replica_reads() as on_replica:
        assert on_replica is False
        assert ROUTER.db_for_read(RollupRun) == "default"


def test_reads_inside_go_to_a_usable_replica_and_writes_never(with_replica, monkeypatch):
    monkeypatch.setattr(replica, "_lag_seconds", lambda: None)
    assert ROUTER.db_for_read(RollupRun) == "default"
    with replica.replica_reads() as on_replica:
        assert on_replica is True
        assert ROUTER.db_for_read(RollupRun) == "replica"
        assert ROUTER.db_for_read(Referral) == "replica"
        assert ROUTER.db_for_write(RollupRun) == "default"
    assert ROUTER.db_for_read(RollupRun) == "default"


@pytest.mark.django_db
def test_reads_inside_a_transaction_stay_on_the_primary(with_replica, monkeypatch):
    monkeypatch.setattr(replica, "_lag_seconds", lambda: None)
    with replica.replica_reads(), transaction.atomic():
        assert ROUTER.db_for_read(RollupRun) == "default"


def test_migrations_run_on_the_primary_only():
    assert ROUTER.allow_migrate("default", "reporting") is True
    assert ROUTER.allow_migrate("replica", "reporting") is False


@pytest.mark.parametrize(("lag", "usable"), [(None, True), (12.0, True), (301.0, False)])
def test_a_replica_too_far_behind_is_not_used(with_replica, monkeypatch, lag, usable):
    monkeypatch.setattr(replica, "_lag_seconds", lambda: lag)
    assert replica.replica_usable() is usable


def test_a_replica_out_of_reach_is_not_used_and_checked_again_later(with_replica, monkeypatch):
    calls = []

    def down():
        calls.append(1)
        raise DatabaseError("could not connect to server")

    monkeypatch.setattr(replica, "_lag_seconds", down)
    assert replica.replica_usable(now=100.0) is False
    assert replica.replica_usable(now=105.0) is False  # remembered: no second attempt yet
    assert len(calls) == 1
    monkeypatch.setattr(replica, "_lag_seconds", lambda: None)
    assert replica.replica_usable(now=111.0) is True
