"""Statements PostgreSQL plans once per connection, not on every request (README, "Speed").

PostgreSQL plans each statement it is sent afresh, and for the partner API's hottest ones
(the person a new referral may match, a referral read, a new referral's rows, a read's
audit row) planning cost about as much as running them. `execute` sends each as EXECUTE
of a statement prepared (PREPARE) the first time this connection meets it, in a round
trip of its own, and remembered with the connection: a prepared statement lasts as long
as its connection (a rollback does not take it back), and a new connection starts with
none. At most MAX_PER_CONNECTION are kept; past that, statements run as they are. A
migration that changes the type of a column a prepared statement returns makes it fail
("cached plan must not change result type"): the connection is then closed when its
request or task ends, and the next one prepares afresh.

Elsewhere (SQLite), or switched off (`DATABASE_PREPARED_STATEMENTS=0`: behind a pgbouncer
pooling by transaction, where the next transaction may run on another server connection
that never saw the PREPARE), each statement is executed as it is.
"""

import hashlib
import re
import time
from collections.abc import Sequence
from typing import Any
from weakref import WeakKeyDictionary

from django.conf import settings
from django.db import DatabaseError

MAX_PER_CONNECTION = 100

# The DB-API connection -> {SQL: its prepared statement's name}.
_prepared: WeakKeyDictionary[Any, dict[str, str]] = WeakKeyDictionary()
_PLACEHOLDER = re.compile(r"%([s%])")
# SQLSTATE of PostgreSQL's "cached plan must not change result type".
_FEATURE_NOT_SUPPORTED = "0A000"


def execute(connection: Any, cursor: Any, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
    """Run `statements` ((SQL with %s placeholders, its parameters), ...) in one round trip on
    `cursor`, a cursor of Django's `connection`; the cursor then holds the last one's rows."""
    names = _names(connection)
    if names is None:
        _plain(cursor, statements)
        return
    sent: list[str] = []
    params: list[Any] = []
    for sql, values in statements:
        name = names.get(sql)
        if name is None and len(names) < MAX_PER_CONNECTION:
            name = _prepare(cursor, sql)
            names[sql] = name
        if name is None:
            sent.append(sql)
        elif values:
            sent.append(f"EXECUTE {name}({', '.join(['%s'] * len(values))})")
        else:
            sent.append(f"EXECUTE {name}")
        params.extend(values)
    try:
        cursor.execute(";\n".join(sent), params)
    except DatabaseError as error:
        if getattr(error.__cause__, "pgcode", None) == _FEATURE_NOT_SUPPORTED:
            # "cached plan must not change result type": a migration changed a column a
            # statement prepared here returns. The connection is closed when the request
            # or task ends (Django's close_old_connections), and the next one prepares its
            # statements afresh.
            connection.close_at = time.monotonic()
        raise


def forget(connection: Any) -> None:
    """Drop what this connection has prepared, on the server and here, as a new connection
    would start: each statement is prepared again where next used."""
    if connection.vendor == "postgresql" and connection.connection is not None:
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
        _prepared.pop(connection.connection, None)


def is_preparation(sent: str) -> bool:
    """Whether `sent` (a statement `execute` sent) is a PREPARE: once per connection and
    statement, not the work of the request that happened to send it first."""
    return sent.startswith("PREPARE ")


def written_out(sent: str, connection: Any) -> str:
    """`sent` (what `execute` sent on `connection`: EXECUTEs of its prepared statements) with
    each EXECUTE replaced by the statement it runs, placeholders for its values: to read a
    log or a test's captured queries by."""
    names = _names(connection) or {}
    texts = {name: sql for sql, name in names.items()}
    return ";\n".join(
        texts.get(part.split("(", 1)[0].split()[1], part) if part.startswith("EXECUTE ") else part
        for part in sent.split(";\n")
    )


def _names(connection: Any) -> dict[str, str] | None:
    """This connection's prepared statements, or None where statements are not prepared."""
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        return None
    raw = connection.connection
    if raw is None:  # pragma: no cover - a cursor was just opened, so it is connected
        return None
    names = _prepared.get(raw)
    if names is None:
        names = _prepared[raw] = {}
    return names


def _prepare(cursor: Any, sql: str) -> str:
    """PREPARE `sql` under a name its text gives; the name."""
    name = "sp_" + hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()
    numbers = iter(range(1, 65536))
    text = _PLACEHOLDER.sub(lambda m: "%" if m.group(1) == "%" else f"${next(numbers)}", sql)
    # No parameters: psycopg2 sends the text as it is (a "%" stays one).
    cursor.execute(f"PREPARE {name} AS {text}")
    return name


def _plain(cursor: Any, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
    # psycopg2 writes the parameters into the text itself, so several statements go as one
    # string.
    cursor.execute(
        ";\n".join(sql for sql, _ in statements),
        [value for _, values in statements for value in values],
    )
