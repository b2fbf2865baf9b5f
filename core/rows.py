"""Model instances from a statement written out, as the ORM makes them, without RawQuerySet.

The partner API's hottest reads (a referral, the person a new referral may match, a
scheme's coordinators) are written as SQL (each beside a test holding it to its
queryset). `Model.objects.raw()` then cost as much again as the query: it maps the
columns it got back to fields afresh for every statement. `fetch` takes the model's
concrete columns in their declared order (`columns()` writes that list), followed by
any extra ones named in `extra`; it converts each value as the ORM converts it
(the backend's and the field's converters: a uuid kept as text on SQLite, say) and
builds each instance with `Model.from_db`, so it is marked as loaded from the database.
"""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import Model

from . import prepared

M = TypeVar("M", bound=Model)

# (database alias, model) -> [(column index, its converters, its expression)] where any
_converters: dict[tuple[str, type[Model]], list[tuple[int, list[Callable[..., Any]], Any]]] = {}


def planned_apart(using: str = "default") -> str:
    """What ends a subquery for PostgreSQL to plan it on its own, not pulled up into a join
    (OFFSET 0: a fence its planner keeps; no other database needs it): for a subquery asked
    of a few rows, where planning the join would cost more than running it."""
    return " OFFSET 0" if connections[using].vendor == "postgresql" else ""


def columns(model: type[Model], alias: str, using: str | None = None) -> str:
    """The model's concrete columns, qualified by `alias` and quoted, in declared order."""
    quote = connections[using or router.db_for_read(model)].ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in _fields(model))


def fetch(
    model: type[M],
    sql: str,
    params: Sequence[Any],
    *,
    extra: Sequence[str] = (),
    using: str | None = None,
    before: tuple[str, Sequence[Any]] | None = None,
) -> list[M]:
    """The rows of `sql` (columns(model, ...) then `extra`) as instances of `model`, each
    extra column set as an attribute under its name (unconverted).

    `before`: (SQL, params) of a statement whose result nobody reads, sent ahead of `sql`
    in the same round trip (PostgreSQL with psycopg2, which writes the parameters into
    the text: core.inserts). Each statement there starts once the one before it has
    ended, and at READ COMMITTED sees what was committed by then.
    """
    using = using or router.db_for_read(model)
    connection = connections[using]
    statements = [(sql, params)]
    if before is not None:
        assert connection.vendor == "postgresql", "several statements in one round trip"
        statements.insert(0, before)
    with connection.cursor() as cursor:
        # Planned once per connection on PostgreSQL (core.prepared).
        prepared.execute(connection, cursor, statements)
        rows = cursor.fetchall()
    if not rows:
        return []
    fields = _fields(model)
    converters = _column_converters(model, using)
    names = [field.attname for field in fields]
    width = len(fields)
    found = []
    for row in rows:
        values = list(row[:width])
        for index, chain, expression in converters:
            for converter in chain:
                values[index] = converter(values[index], expression, connection)
        instance = model.from_db(using, names, values)
        for name, value in zip(extra, row[width:], strict=True):
            setattr(instance, name, value)
        found.append(instance)
    return found


def _fields(model: type[Model]) -> list[Any]:
    return [field for field in model._meta.concrete_fields if field.column]


def _column_converters(
    model: type[Model], using: str
) -> list[tuple[int, list[Callable[..., Any]], Any]]:
    key = (using, model)
    found = _converters.get(key)
    if found is None:
        connection = connections[using]
        found = []
        for index, field in enumerate(_fields(model)):
            expression = field.get_col(model._meta.db_table)
            chain = connection.ops.get_db_converters(expression) + expression.get_db_converters(
                connection
            )
            if chain:
                found.append((index, chain, expression))
        _converters[key] = found
    return found
