"""New rows and their "+" history rows, written with PostgreSQL's COPY where the database has it.

bulk_create spends most of its time building one huge INSERT per batch (and binding every
parameter); COPY streams the same values. The rows written are the ones bulk_create_with_history
writes: ids come from the table's own sequence (reserved first, so contacts and ImportRecords can
point at them), every value goes through its field's pre_save and get_db_prep_save as in
bulk_create, and the history rows carry the same tracked fields, history_type "+", the user, no
change reason and the time of writing. Other databases (SQLite has no COPY) keep
bulk_create_with_history.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, models
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from kehu.accounts.models import User

BATCH = 1000
# Field types whose get_db_prep_save on PostgreSQL returns a value of the Python type below
# unchanged (and None unchanged): checking the type is enough to skip the call. Date-times only
# when aware (a naive one is made aware, with a warning). Anything else (JSON, decimals, values
# of another type) goes through get_db_prep_save.
_PASS_THROUGH = {
    "CharField": str,
    "TextField": str,
    "EmailField": str,
    "SlugField": str,
    "BooleanField": bool,
    "IntegerField": int,
    "BigIntegerField": int,
    "PositiveIntegerField": int,
    "PositiveSmallIntegerField": int,
    "SmallIntegerField": int,
    "AutoField": int,
    "BigAutoField": int,
    "DateField": dt.date,
    "DateTimeField": dt.datetime,
}


def _converter(field: models.Field):
    """A function value -> the value Django would send to the database for this field."""
    target = field.target_field if field.is_relation else field
    # Only Django's own field classes: a subclass such as kehu.core.crypto's encrypted field
    # reports "TextField" but must go through its get_db_prep_save (that is where it encrypts).
    own = type(target).__module__.startswith("django.db.models.")
    kind = _PASS_THROUGH.get(target.get_internal_type()) if own else None
    prep = field.get_db_prep_save

    if kind is None:
        return lambda value: prep(value, connection)

    def convert(value):
        if value is None or (
            type(value) is kind and (kind is not dt.datetime or value.utcoffset() is not None)
        ):
            return value
        return prep(value, connection)

    return convert


def _copy(model: type[models.Model], fields: list[models.Field], rows) -> None:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    converters = [_converter(f) for f in fields]
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([convert(value) for convert, value in zip(converters, row, strict=True)])


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _history_rows(objects: list[models.Model], history, fields: list[models.Field], *, by: User):
    tracked = {f.attname for f in history.tracked_fields}
    for obj in objects:
        extra = {
            "history_date": timezone.now(),
            "history_change_reason": None,
            "history_type": "+",
            "history_user_id": by.pk,
        }
        yield [
            getattr(obj, f.attname) if f.attname in tracked else extra[f.attname] for f in fields
        ]


def _insert(objects: list[models.Model], model: type[models.Model]) -> None:
    """What bulk_create does on PostgreSQL, with COPY: related ids taken, pks and pre_save
    values (created_at, updated_at) set on the objects, which then count as saved."""
    for obj in objects:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    for obj, pk in zip(objects, _reserve_ids(model, len(objects)), strict=True):
        obj.pk = pk
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    _copy(model, fields, ([f.pre_save(obj, True) for f in fields] for obj in objects))
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias


def create(objects: list[models.Model], model: type[models.Model]) -> None:
    """bulk_create of unsaved `objects` (COPY on PostgreSQL); sets their pks."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects, batch_size=BATCH)
        return
    _insert(objects, model)


def create_with_history(objects: list[models.Model], model: type[models.Model], *, by: User):
    """Insert `objects` (unsaved) and one "+" history row each; sets their pks. Must run in
    the caller's transaction."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        bulk_create_with_history(objects, model, batch_size=BATCH, default_user=by)
        return
    _insert(objects, model)
    history = model.history.model
    history_fields = [f for f in history._meta.concrete_fields if not f.primary_key]
    _copy(history, history_fields, _history_rows(objects, history, history_fields, by=by))
