"""The test database's own helpers (tests/snapshot.py): the demo comes back row for row, and a
transactional test still leaves every table empty, the append-only audit trail included."""

import importlib

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, User
from referrals.models import Referral
from tests import snapshot


def rows(taken):
    """Each table's rows in a stable order (a restore may store them in another)."""
    return {
        table.name: sorted(
            table.data.splitlines() if isinstance(table.data, str) else map(repr, table.data)
        )
        for table in taken.tables
    }


def test_the_demo_comes_back_row_for_row(demo_data, demo_seeded_once):
    assert "Demo data loaded" in demo_data
    assert rows(snapshot.take()) == rows(demo_seeded_once.rows)


def test_what_a_test_wrote_is_gone_when_the_demo_comes_back(demo_seeded_once, db):
    snapshot.restore(demo_seeded_once.rows)
    Referral.objects.all().delete()
    User.objects.create(username="not-in-the-demo")
    snapshot.restore(demo_seeded_once.rows)
    assert rows(snapshot.take()) == rows(demo_seeded_once.rows)
    # Content types come back with the snapshot's keys, and the cache does not remember others.
    assert ContentType.objects.get_for_model(User).pk == (
        ContentType.objects.get(app_label="accounts", model="user").pk
    )
    assert not User.objects.filter(username="not-in-the-demo").exists()


@pytest.mark.django_db(transaction=True)
def test_flush_empties_every_table_the_audit_trail_too(demo_seeded_once):
    snapshot.restore(demo_seeded_once.rows)
    AuditEvent.objects.create(action=AuditEvent.Action.LOGIN)
    call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)
    with connection.cursor() as cursor:
        for table in snapshot._tables():
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            assert cursor.fetchone()[0] == 0, table


@pytest.mark.django_db(transaction=True)
def test_after_emptying_the_data_migrations_rows_come_back_as_they_wrote_them():
    """Bank holidays and the outcome instruments, keys included, as the migrations left them in
    a new database, and the suite's postcodes: copied back, not made again."""
    from django.apps import apps

    tables = [apps.get_model(label)._meta.db_table for label in snapshot.MIGRATED_REFERENCE_MODELS]
    before = rows(snapshot.take([*tables, "directory_postcode"]))
    assert all(before.values()), "the migrations wrote rows to each"
    snapshot.empty_but_reference_data()
    assert rows(snapshot.take([*tables, "directory_postcode"])) == before
    # New rows get keys after the kept ones, though Django's flush started the sequences again.
    from accounts.models import BankHoliday
    from tests.factories import InstrumentFactory

    with transaction.atomic():
        InstrumentFactory(code="ucla-test")
        BankHoliday.objects.create(date="2031-12-25", name="Christmas Day", name_cy="Dydd Nadolig")
        transaction.set_rollback(True)
    # The migrations' own code, run over them again, finds nothing to change.
    for module, function in [
        ("accounts.migrations.0005_bank_holidays_2023_2027", "load"),
        ("linkworkers.migrations.0004_outcome_instruments", "load_instruments"),
    ]:
        getattr(importlib.import_module(module), function)(apps, None)
    assert rows(snapshot.take([*tables, "directory_postcode"])) == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's in-memory copy")
def test_on_sqlite_the_rows_come_from_the_attached_copy_in_one_statement_a_table(
    demo_seeded_once, db
):
    with CaptureQueriesContext(connection) as queries:
        snapshot.restore(demo_seeded_once.rows)
    copied = [q["sql"] for q in queries if "SELECT" in q["sql"] and "FROM snapshot_" in q["sql"]]
    assert len(copied) == len(demo_seeded_once.rows.tables)
    assert not any("VALUES" in q["sql"] for q in queries)
    assert rows(snapshot.take()) == rows(demo_seeded_once.rows)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's in-memory copy")
@pytest.mark.django_db(transaction=True)
def test_on_sqlite_without_the_copy_attached_the_rows_come_from_python_alike(
    demo_seeded_once, restore_reference_data
):
    schema = snapshot.attach(demo_seeded_once.rows)
    with connection.cursor() as cursor:
        cursor.execute(f"DETACH DATABASE {schema}")
    try:
        with transaction.atomic():  # SQLite attaches nothing inside a transaction
            snapshot.restore(demo_seeded_once.rows)
            assert rows(snapshot.take()) == rows(demo_seeded_once.rows)
    finally:
        assert snapshot.attach(demo_seeded_once.rows) == schema
