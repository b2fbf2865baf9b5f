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
"""

from collections.abc import Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Model
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery

# (database alias, model, returning) -> (INSERT of one row, the fields its values fill, in order)
_statements: dict[tuple[str, type[Model], bool], tuple[str, list[Any]]] = {}


def insert(objs: Sequence[Model], *, using: str | None = None) -> None:
    """INSERT `objs` (new instances of one model, primary key unset) in one statement."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    using = using or router.db_for_write(model)
    connection = connections[using]
    if len(objs) > 1:
        # Several rows are rarer, and PostgreSQL's bulk INSERT passes a column's values
        # together (UNNEST): the ORM's bulk_create writes them.
        model._default_manager.db_manager(using).bulk_create(objs)
        return
    plain = (
        connection.features.can_return_columns_from_insert
        and meta.auto_field is not None
        and not meta.parents
        and meta.db_returning_fields == [meta.pk]
        and not pre_save.has_listeners(model)
        and not post_save.has_listeners(model)
        # A model with a save() of its own is saved through it.
        and model.save is Model.save
    )
    [obj] = objs
    if not plain or type(obj) is not model or obj.pk is not None:
        obj.save(force_insert=True, using=using)
        return
    sql, params = insert_statement(obj, using=using)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (key,) = cursor.fetchone()
    setattr(obj, meta.pk.attname, key)
    obj._state.adding = False
    obj._state.db = using


def insert_statement(obj: Model, *, using: str, returning: bool = True) -> tuple[str, list[Any]]:
    """(SQL, params) of the INSERT of one new `obj` as the ORM writes it, RETURNING its primary
    key unless `returning` is False; its values prepared as `save()` prepares them."""
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
        return sql, list(params)
    params = [
        field.get_db_prep_save(value, connection=connection)
        for field, value in zip(fields, values, strict=True)
    ]
    return found[0], params
