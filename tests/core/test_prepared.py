"""Statements planned once per connection (core.prepared): the first use prepares, each
later one only executes; a rollback keeps what was prepared; switched off, past the cap
and on SQLite, statements run as they are."""

import time

import pytest
from django.db import NotSupportedError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from core import prepared

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"
on_postgres = pytest.mark.skipif(not POSTGRES, reason="PREPARE is PostgreSQL's")

# A literal "%" (written "%%" beside placeholders) and values of several kinds.
STATEMENT = "SELECT %s::int + 1, 'a%%b', UPPER(%s), %s::text[]"


def _run(statements):
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        prepared.execute(connection, cursor, statements)
        rows = cursor.fetchall()
    return rows, [query["sql"] for query in queries.captured_queries]


@pytest.fixture
def fresh_connection():
    """This connection as a new one would be: nothing prepared on either side (before the
    test, and after it for the next test: a rollback does not take a PREPARE back)."""
    prepared.forget(connection)
    yield
    prepared.forget(connection)


def _server_has():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


@on_postgres
def test_the_first_use_prepares_and_every_later_one_only_executes(fresh_connection):
    first, sent_first = _run([(STATEMENT, [41, "glenys", ["x", "y"]])])
    again, sent_again = _run([(STATEMENT, [1, "carys", []])])
    assert first == [(42, "a%b", "GLENYS", ["x", "y"])]
    assert again == [(2, "a%b", "CARYS", [])]
    assert [sql.split()[0] for sql in sent_first] == ["PREPARE", "EXECUTE"]
    assert [sql.split()[0] for sql in sent_again] == ["EXECUTE"]
    name = sent_again[0].split("(")[0].split()[1]
    assert name in _server_has()
    assert prepared.written_out(sent_again[0], connection) == STATEMENT


@on_postgres
def test_several_statements_go_in_one_round_trip_the_last_ones_rows_read(fresh_connection):
    _run([(STATEMENT, [1, "a", []])])
    rows, sent = _run([("SELECT %s::int", [7]), (STATEMENT, [2, "b", ["z"]])])
    assert rows == [(3, "a%b", "B", ["z"])]
    assert [sql.split()[0] for sql in sent] == ["PREPARE", "EXECUTE"]
    assert sent[-1].count("EXECUTE ") == 2


@on_postgres
def test_a_rollback_keeps_what_was_prepared(fresh_connection):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        _run([(STATEMENT, [1, "a", []])])
        raise ZeroDivisionError
    rows, sent = _run([(STATEMENT, [5, "b", []])])
    assert rows == [(6, "a%b", "B", [])]
    assert [sql.split()[0] for sql in sent] == ["EXECUTE"]


@on_postgres
def test_a_connection_that_lost_its_statements_prepares_them_again(fresh_connection):
    _run([(STATEMENT, [1, "a", []])])
    # A new connection (the old one closed, or cut): Django's wrapper gets a new one,
    # which this module has never seen.
    prepared.forget(connection)
    rows, sent = _run([(STATEMENT, [2, "b", []])])
    assert rows == [(3, "a%b", "B", [])]
    assert [sql.split()[0] for sql in sent] == ["PREPARE", "EXECUTE"]


@on_postgres
def test_past_the_cap_statements_run_as_they_are(fresh_connection, monkeypatch):
    monkeypatch.setattr(prepared, "MAX_PER_CONNECTION", 1)
    _run([("SELECT %s::int", [1])])
    rows, sent = _run([(STATEMENT, [1, "a", []])])
    assert rows == [(2, "a%b", "A", [])]
    assert sent == ["SELECT 1::int + 1, 'a%b', UPPER('a'), '{}'::text[]"]


@pytest.mark.parametrize(
    "switch", [pytest.param(False, id="switched off"), pytest.param(True, id="default")]
)
def test_switched_off_or_on_sqlite_statements_run_as_they_are(fresh_connection, switch):
    with override_settings(DATABASE_PREPARED_STATEMENTS=switch):
        rows, sent = _run([("SELECT %s + 1, 'a%%b'", [41])])
    assert rows == [(42, "a%b")]
    if POSTGRES and switch:
        assert [sql.split()[0] for sql in sent] == ["PREPARE", "EXECUTE"]
    else:
        assert not any(sql.startswith(("PREPARE", "EXECUTE")) for sql in sent)


@on_postgres
def test_a_column_changed_under_a_prepared_statement_renews_the_connection(fresh_connection):
    """A migration changing a column's type while a process has a statement prepared: that
    statement fails once, and the connection is closed when the request ends."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE changing (a integer)")
        cursor.execute("INSERT INTO changing VALUES (1)")
    select = ("SELECT a FROM changing WHERE a = %s", [1])
    assert _run([select])[0] == [(1,)]
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE changing ALTER COLUMN a TYPE bigint")
    close_at = connection.close_at
    try:
        with pytest.raises(NotSupportedError), transaction.atomic():
            _run([select])
        assert connection.close_at is not None and connection.close_at <= time.monotonic()
        # On the new connection the statement is prepared again and answers.
        prepared.forget(connection)
        assert _run([select])[0] == [(1,)]
    finally:
        connection.close_at = close_at
