"""INSERTs whose SQL is written once per process: for the rows every partner request adds.

`Model.objects.create()` builds its INSERT afresh each time: every column quoted, every
placeholder assembled, by the query compiler. For the partner API's create (a person,
a referral, its events, an audit row, a notification, an email, an idempotency key)
that building cost more than running the statements. `insert` asks the compiler once
per model for the statement of one row, as the ORM writes it, and then only
prepares each row's values as the ORM does (each field's `pre_save`, so `auto_now_add`
and defaults apply, then `get_db_prep_save`), sets the new primary key on each object
and marks it saved.

What it skips is what `save()` would add to that: its signals and any override of
`save()`. So it is only for models with neither; with a `pre_save` or `post_save`
receiver connected, or a `save()` of the model's own, it saves each object the ordinary
way, so a receiver or a `save()` added later is never silently passed over. Where the
database cannot return the new key from an INSERT it does the same.

`batched()` goes one step further for a use case that writes several rows whose keys it
never reads back (a new referral's event, its audit row, its notices, its idempotency
key): inside the block, `insert_unkeyed` and `execute_later` only collect their
statements, and the block's end sends them to PostgreSQL in one round trip, still inside
the transaction. A statement that fails there (a unique key already taken) raises at the
block's end, as it would have where it was made, and the transaction is rolled back.
"""

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, connections, router
from django.db.models import ForeignKey, Model
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery

from . import prepared

# (database alias, model, returning) -> (INSERT of one row, the fields its values fill, in order)
_statements: dict[tuple[str, type[Model], bool], tuple[str, list[Any]]] = {}


def insert(objs: Sequence[Model], *, using: str | None = None) -> None:
    """INSERT `objs` (new instances of one model, primary key unset) in one statement."""
    if not objs:
        return
    model = type(objs[0])
    using = using or router.db_for_write(model)
    connection = connections[using]
    if len(objs) > 1:
        # Several rows are rarer, and PostgreSQL's bulk INSERT passes a column's values
        # together (UNNEST): the ORM's bulk_create writes them.
        model._default_manager.db_manager(using).bulk_create(objs)
        return
    [obj] = objs
    if not _plain(obj, using):
        obj.save(force_insert=True, using=using)
        return
    sql, params = insert_statement(obj, using=using)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (key,) = cursor.fetchone()
    setattr(obj, model._meta.pk.attname, key)
    obj._state.adding = False
    obj._state.db = using


def _plain(obj: Model, using: str, *, keyed: bool = True) -> bool:
    """Whether `obj` may be written by the kept statement rather than by its save();
    `keyed`: with its new key (and only that) read back."""
    model = type(obj)
    meta = model._meta
    return (
        (
            not keyed
            or connections[using].features.can_return_columns_from_insert
            and meta.db_returning_fields == [meta.pk]
        )
        and meta.auto_field is not None
        and not meta.parents
        and not pre_save.has_listeners(model)
        and not post_save.has_listeners(model)
        # A model with a save() of its own is saved through it.
        and model.save is Model.save
        and obj.pk is None
    )


def insert_pair(parent: Model, child: Model, *, link: str, using: str | None = None) -> None:
    """INSERT a new `parent` and a new `child` whose foreign key `link` points at it.

    On PostgreSQL one statement does both: the parent's INSERT as a data-modifying WITH,
    the child's key to it read from that (a person and the first referral for them: a
    round trip fewer on a partner's create). Elsewhere, or where either is not `_plain`,
    one `insert` after the other. Either way both get their new keys, as from `insert`.
    """
    using = using or router.db_for_write(type(child))
    connection = connections[using]
    field = child._meta.get_field(link)
    if not isinstance(field, ForeignKey):
        raise TypeError(f"{link} is not a foreign key of {type(child).__name__}")
    combined = connection.vendor == "postgresql" and _plain(parent, using) and _plain(child, using)
    if combined:
        parent_sql, parent_params = insert_statement(parent, using=using)
        # A stand-in key while the statement is built (an unsaved parent is refused there).
        setattr(child, field.attname, 0)
        child_sql, child_params, fields = _statement(child, using=using, returning=True)
        head, _values, tail = child_sql.partition(" VALUES (")
        placeholders, _end, returning = tail.rpartition(") RETURNING ")
        slots = placeholders.split(", ")
        # Only the ORM's plain one-row form is rewritten; anything else goes the long way.
        combined = bool(_values) and slots == ["%s"] * len(fields) and field in fields
    if not combined:
        insert([parent], using=using)
        setattr(child, link, parent)
        insert([child], using=using)
        return
    quote = connection.ops.quote_name
    at = fields.index(field)
    parent_key_field = parent._meta.pk
    assert parent_key_field is not None and parent_key_field.column and field.column
    slots[at] = f"(SELECT {quote(parent_key_field.column)} FROM parent)"
    sql = (
        f"WITH parent AS ({parent_sql}) {head} VALUES ({', '.join(slots)}) "
        f"RETURNING {returning}, {quote(child._meta.db_table)}.{quote(field.column)}"
    )
    params = [*parent_params, *child_params[:at], *child_params[at + 1 :]]
    with connection.cursor() as cursor:
        prepared.execute(connection, cursor, [(sql, params)])
        child_key, parent_key = cursor.fetchone()
    for obj, key in ((parent, parent_key), (child, child_key)):
        setattr(obj, obj._meta.pk.attname, key)
        obj._state.adding = False
        obj._state.db = using
    setattr(child, link, parent)


# Per thread, per database alias: the open `batched()` block's collected statements.
_pending = threading.local()


class _Batch:
    def __init__(self, savepoints: list[str]) -> None:
        self.savepoints = savepoints
        self.statements: list[tuple[str, list[Any]]] = []


def _savepoints(connection: Any) -> list[str]:
    return [sid for sid in connection.savepoint_ids if sid]


def _open_batch(using: str) -> _Batch | None:
    batch: _Batch | None = getattr(_pending, "batches", {}).get(using)
    # A write made in a savepoint opened inside the block runs at once: were it sent at the
    # block's end, a rollback to that savepoint could not take it back.
    if batch is None or batch.savepoints != _savepoints(connections[using]):
        return None
    return batch


@contextmanager
def batched(using: str = "default") -> Iterator[None]:
    """Collect the key-less writes made inside (`insert_unkeyed`, `execute_later`) and send
    them in one round trip when the block ends. Inside a transaction only.

    A block inside another adds to the outer one's round trip. Where the database takes
    one statement at a time (SQLite) nothing is collected: each write runs where it is
    made. An exception leaving the block sends what was collected first, as if each had
    run where it was made, unless it is the database's own error or the transaction is
    already failed: then the transaction is rolled back, and what was collected with it
    (sending it would only hide the first error behind "transaction aborted").
    """
    connection = connections[using]
    batches = _pending.__dict__.setdefault("batches", {})
    if connection.vendor != "postgresql" or using in batches:
        yield
        return
    assert connection.in_atomic_block, "a batch of writes belongs to a transaction"
    batch = batches[using] = _Batch(_savepoints(connection))
    try:
        yield
    except BaseException as error:
        del batches[using]
        if not (connection.needs_rollback or isinstance(error, DatabaseError)):
            _send(connection, batch.statements)
        raise
    del batches[using]
    _send(connection, batch.statements)


def _send(connection: Any, statements: list[tuple[str, list[Any]]]) -> None:
    # psycopg2 writes the parameters into the text itself, so several statements go as one
    # string, each planned once per connection (core.prepared). (psycopg 3 binds them in
    # the server, one statement at a time: there this would be a pipeline.)
    if statements:
        with connection.cursor() as cursor:
            prepared.execute(connection, cursor, statements)


def execute_later(sql: str, params: Sequence[Any], *, using: str = "default") -> bool:
    """Add a statement whose result nobody reads to the open `batched()` block's round trip.
    False (and nothing done) when there is no block to add to: the caller runs it itself."""
    batch = _open_batch(using)
    if batch is None:
        return False
    batch.statements.append((sql, list(params)))
    return True


def insert_unkeyed(objs: Sequence[Model], *, using: str | None = None) -> None:
    """INSERT new `objs` whose primary keys the caller never reads back: in the open
    `batched()` block's round trip, or at once (as `insert`) where none is open.

    In a batch the objects are left without a primary key; they are not to be saved
    again or used as another row's foreign key.
    """
    if not objs:
        return
    using = using or router.db_for_write(type(objs[0]))
    batch = _open_batch(using)
    if batch is None or not all(_plain(obj, using, keyed=False) for obj in objs):
        insert(objs, using=using)
        return
    batch.statements.extend(insert_statement(obj, using=using, returning=False) for obj in objs)


def insert_statement(obj: Model, *, using: str, returning: bool = True) -> tuple[str, list[Any]]:
    """(SQL, params) of the INSERT of one new `obj` as the ORM writes it, RETURNING its primary
    key unless `returning` is False; its values prepared as `save()` prepares them."""
    sql, params, _fields = _statement(obj, using=using, returning=returning)
    return sql, params


def _statement(obj: Model, *, using: str, returning: bool) -> tuple[str, list[Any], list[Any]]:
    """`insert_statement`, with the fields its values fill, in order."""
    model = type(obj)
    meta = model._meta
    connection = connections[using]
    key = (using, model, returning)
    found = _statements.get(key)
    fields = (
        found[1]
        if found is not None
        else [
            field
            for field in meta.local_concrete_fields
            if field is not meta.auto_field and not field.generated
        ]
    )
    obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    values = [field.pre_save(obj, True) for field in fields]
    if found is None or any(hasattr(value, "resolve_expression") for value in values):
        # An expression (Now(), F()...) is written into the SQL itself: never kept.
        query = InsertQuery(model)
        query.insert_values(fields, [obj])
        compiler = query.get_compiler(using=using)
        if returning:
            compiler.returning_fields = [meta.pk]
        [(sql, params)] = compiler.as_sql()
        if not any(hasattr(value, "resolve_expression") for value in values):
            _statements[key] = (sql, fields)
        return sql, list(params), fields
    params = [
        field.get_db_prep_save(value, connection=connection)
        for field, value in zip(fields, values, strict=True)
    ]
    return found[0], params, fields
