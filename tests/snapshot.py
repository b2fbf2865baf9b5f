"""Emptying the test database quickly, and writing a snapshot of its rows back.

The demo data (`seed_demo`) takes seconds to build, and a browser test empties every table
when it ends (pytest-django's live server needs a transactional test). Each test process
seeds once and keeps the rows in memory (`take`: PostgreSQL's own COPY text, SQLite's rows);
each test that wants the demo writes them back (`restore`, a fraction of a second), and the
database is then row for row what `seed_demo` left, keys included.

On SQLite the rows are also kept in an in-memory database of the process's own, attached to the
test database's connection (`attach`): writing them back is then one INSERT ... SELECT per
table inside SQLite, several times quicker than handing it every row from Python.

Emptying: Django's `flush` sends one TRUNCATE of every table, which on PostgreSQL makes new
files for each of some seventy tables and their indexes: about a second on an idle machine,
four on a busy one, after every transactional test. Deleting the few rows a test wrote takes
a few milliseconds. The foreign keys Django makes are checked at commit, so the order of the
deletes does not matter; tables whose own triggers refuse DELETE (the append-only audit
trail) are truncated instead, together with the tables that point at them.
"""

import io
import itertools
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    data: str | tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Snapshot:
    tables: tuple[Table, ...]


def _tables() -> list[str]:
    # The tables `flush` empties: every model's, not django_migrations.
    return sorted(
        connection.introspection.django_table_names(only_existing=True, include_views=False)
    )


_truncated: dict[str, frozenset[str]] = {}


def _truncated_on_postgresql(db: BaseDatabaseWrapper) -> frozenset[str]:
    """Tables with a row trigger on DELETE, and every table whose foreign keys lead to one."""
    name = db.settings_dict["NAME"]
    if name in _truncated:
        return _truncated[name]
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgtype & 8 = 8"  # TRIGGER_TYPE_DELETE
        )
        found = {table for (table,) in cursor.fetchall()}
        cursor.execute(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
            "WHERE contype = 'f'"
        )
        pointing = cursor.fetchall()
    while more := {source for source, target in pointing if target in found} - found:
        found |= more
    _truncated[name] = frozenset(found)
    return _truncated[name]


def empty_sql(db: BaseDatabaseWrapper, tables: list[str]) -> list[str]:
    """What empties `tables` on PostgreSQL: a DELETE each, a TRUNCATE where DELETE is refused."""
    quote = db.ops.quote_name
    truncated = sorted(_truncated_on_postgresql(db) & set(tables))
    with db.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT 1 WHERE EXISTS (SELECT 1 FROM {quote(name)})" for name in truncated
            )
            or "SELECT 1 WHERE false"
        )
        truncate = bool(cursor.fetchall())
    # First: a table with foreign-key checks pending in the transaction cannot be truncated.
    sql = ["TRUNCATE " + ", ".join(quote(name) for name in truncated)] if truncate else []
    return sql + [f"DELETE FROM {quote(name)}" for name in tables if name not in truncated]


def quick_flush(original: Callable[..., list[str]]) -> Callable[..., list[str]]:
    """PostgreSQL's `sql_flush`, deleting rows instead of truncating every table."""

    def sql_flush(
        operations: Any,
        style: Any,
        tables: list[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if reset_sequences or allow_cascade:
            return original(
                operations,
                style,
                tables,
                reset_sequences=reset_sequences,
                allow_cascade=allow_cascade,
            )
        return empty_sql(operations.connection, list(tables))

    return sql_flush


def take(only: list[str] | None = None) -> Snapshot:
    """Every row of every table (or of the tables named `only`): PostgreSQL's own COPY text, or
    SQLite's rows."""
    quote = connection.ops.quote_name
    tables = []
    with connection.cursor() as cursor:
        for name in _tables() if only is None else only:
            cursor.execute(f"SELECT * FROM {quote(name)} LIMIT 0")
            columns = tuple(column[0] for column in cursor.description)
            if connection.vendor == "postgresql":
                data: Any = _copy_out(cursor.cursor, f"COPY {quote(name)} TO STDOUT")
            else:
                cursor.execute(f"SELECT * FROM {quote(name)}")
                data = tuple(cursor.fetchall())
            if data:
                tables.append(Table(name, columns, data))
    return Snapshot(tuple(tables))


def _copy_out(raw: Any, sql: str) -> str:
    if hasattr(raw, "copy_expert"):  # psycopg2
        buffer = io.StringIO()
        raw.copy_expert(sql, buffer)
        return buffer.getvalue()
    with raw.copy(sql) as copy:  # psycopg 3
        return b"".join(bytes(block) for block in copy).decode()


def _copy_in(raw: Any, sql: str, data: str) -> None:
    if hasattr(raw, "copy_expert"):
        raw.copy_expert(sql, io.StringIO(data))
    else:
        with raw.copy(sql) as copy:
            copy.write(data)


def _insert(cursor: Any, table: Table, copy: str | None = None) -> None:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in table.columns)
    if connection.vendor == "postgresql":
        _copy_in(cursor.cursor, f"COPY {quote(table.name)} ({columns}) FROM STDIN", table.data)
    elif copy:
        cursor.execute(
            f"INSERT INTO main.{quote(table.name)} ({columns}) "
            f"SELECT {columns} FROM {copy}.{quote(table.name)}"
        )
    else:
        placeholders = ", ".join(["%s"] * len(table.columns))
        cursor.executemany(
            f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({placeholders})",
            _sqlite_rows(table),
        )


def _sqlite_rows(table: Table) -> list[tuple[Any, ...]]:
    # SQLite hands times back as `time` (Django's converter) but takes them as text.
    return [tuple(str(v) if isinstance(v, time) else v for v in row) for row in table.data]


# SQLite: each snapshot's in-memory copy, by id(snapshot): (the snapshot, kept so that its id
# is not reused; the copy's schema name and URI; the connection that keeps the copy alive).
_sqlite_copies: dict[int, tuple[Snapshot, str, str, sqlite3.Connection]] = {}
_copy_numbers = itertools.count(1)


def _sqlite_copy(snapshot: Snapshot) -> tuple[str, str]:
    """The schema name and URI of the snapshot's in-memory copy, made on first use."""
    if id(snapshot) not in _sqlite_copies:
        quote = connection.ops.quote_name
        schema = f"snapshot_{next(_copy_numbers)}"
        uri = f"file:sp_{schema}_{os.getpid()}?mode=memory&cache=shared"
        keeper = sqlite3.connect(uri, uri=True, check_same_thread=False)
        for table in snapshot.tables:
            # Columns without a type: each value keeps the kind it was given.
            columns = ", ".join(quote(column) for column in table.columns)
            keeper.execute(f"CREATE TABLE {quote(table.name)} ({columns})")
            keeper.executemany(
                f"INSERT INTO {quote(table.name)} VALUES ({', '.join(['?'] * len(table.columns))})",
                _sqlite_rows(table),
            )
        keeper.commit()
        _sqlite_copies[id(snapshot)] = (snapshot, schema, uri, keeper)
    _, schema, uri, _ = _sqlite_copies[id(snapshot)]
    return schema, uri


def attach(snapshot: Snapshot) -> str | None:
    """SQLite: attach the snapshot's in-memory copy to the test database's connection, and
    return its schema name; None where it cannot be (not SQLite, or inside a transaction,
    where SQLite attaches nothing: `restore` then hands it the rows from Python)."""
    if connection.vendor != "sqlite":
        return None
    schema, uri = _sqlite_copy(snapshot)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA database_list")
        if any(name == schema for _, name, *_ in cursor.fetchall()):
            return schema
        if connection.in_atomic_block:
            return None
        cursor.execute(f"ATTACH DATABASE %s AS {schema}", [uri])
    return schema


def restore(snapshot: Snapshot) -> None:
    """Empty every table and write the snapshot's rows back, with the same keys."""
    copy = attach(snapshot)
    with transaction.atomic(), connection.cursor() as cursor:
        # Rows written earlier in this transaction may still owe their foreign-key checks.
        connection.check_constraints()
        for sql in connection.ops.sql_flush(no_style(), _tables()):
            cursor.execute(sql)
        for table in snapshot.tables:
            _insert(cursor, table, copy)
        # New rows get keys after the restored ones (PostgreSQL's sequences).
        for sql in _sequences_forward_sql():
            cursor.execute(sql)
    # The content types were written back with the snapshot's keys: forget the cached ones.
    ContentType.objects.clear_cache()


AUTO_FIELDS = ("AutoField", "BigAutoField", "SmallAutoField")


def _sequences_forward_sql(tables: frozenset[str] | None = None) -> list[str]:
    """Move each key sequence past the rows now in its table, and never back.

    Setting a sequence is not undone by a rollback. A test's own transaction
    restores the snapshot over rows committed earlier (reference data written
    again after a transactional test, with later keys); setting sequences to the
    snapshot's highest keys would leave them behind those rows once the test's
    transaction is rolled back, and the next insert would reuse a key.
    """
    models = [m for m in apps.get_models() if tables is None or m._meta.db_table in tables]
    if connection.vendor != "postgresql":
        return list(connection.ops.sequence_reset_sql(no_style(), models))
    quote = connection.ops.quote_name
    statements = []
    for model in models:
        pk = model._meta.pk
        if pk is None or pk.get_internal_type() not in AUTO_FIELDS:
            continue
        table, column = model._meta.db_table, pk.column
        sequence = f"pg_get_serial_sequence('{quote(table)}', '{column}')"
        statements.append(
            f"SELECT setval({sequence}, GREATEST(nextval({sequence}), "
            f"COALESCE((SELECT MAX({quote(column)}) FROM {quote(table)}), 0) + 1), false)"
        )
    return statements


# Rows the data migrations write, which emptying every table takes away: bank holidays
# (accounts 0005) and the outcome instruments with their items (linkworkers 0004). A new data
# migration's rows join them here.
MIGRATED_REFERENCE_MODELS = ["accounts.BankHoliday", "linkworkers.Instrument", "linkworkers.Item"]

# Rows each test process keeps before its first test (`keep_as_reference`): those above, as
# the migrations left them, and the suite's postcodes (tests/conftest.py, `django_db_setup`
# and SUITE_POSTCODE_DISTRICTS).
_kept_rows: list[Snapshot] = []


def keep_as_reference(models: list[type[Any]]) -> None:
    """Write these models' rows, and the data migrations', again whenever the tables are emptied
    (their rows as they are now, kept in memory, keys included: copied back rather than made
    again by the migrations' code, a query or two a row)."""
    migrated = [apps.get_model(label) for label in MIGRATED_REFERENCE_MODELS]
    _kept_rows.append(take([model._meta.db_table for model in [*migrated, *models]]))


def write_reference_data() -> None:
    """Write the rows kept as reference (`keep_as_reference`) again: the data migrations' (bank
    holidays, outcome instruments) and the suite's postcodes."""
    with transaction.atomic(), connection.cursor() as cursor:
        for kept in _kept_rows:
            for table in kept.tables:
                _insert(cursor, table)
        # Their keys are the kept ones: new rows get later keys, even where the emptying started
        # the sequences again (Django's `flush` command does).
        written = frozenset(table.name for kept in _kept_rows for table in kept.tables)
        for sql in _sequences_forward_sql(written):
            cursor.execute(sql)


def empty_but_reference_data() -> None:
    """Every table as after `migrate`: emptied by Django's `flush` (which makes the content
    types and permissions again), then the data migrations' rows (and the suite's postcodes)
    written again."""
    call_command("flush", interactive=False, verbosity=0)
    write_reference_data()
