"""New rows and their "+" history rows, written with PostgreSQL's COPY or SQLite's executemany.

bulk_create spends most of its time building one huge INSERT per batch (Django compiles every
field of every row into SQL and binds every parameter); COPY (PostgreSQL) and one prepared
single-row INSERT run with executemany (SQLite) send the same values. The rows written are the
ones bulk_create_with_history writes: every value goes through its field's pre_save and
get_db_prep_save as in bulk_create, and the history rows carry the same tracked fields,
history_type "+", the user, no change reason and the time of writing. Ids are reserved first,
so contacts and ImportRecords can point at them: on PostgreSQL from the table's own sequence;
on SQLite (AUTOINCREMENT tables, a single writer) after taking the write lock, as the next ids
AUTOINCREMENT would give (above both the largest id and sqlite_sequence, so ids of deleted rows
are never reused); the lock is held until the caller's transaction ends, so no other writer can
take them. Other databases keep bulk_create_with_history.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, models
from django.db.models.constants import OnConflict
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


FAST_VENDORS = ("postgresql", "sqlite")


def _converter(field: models.Field):
    """A function value -> the value Django would send to the database for this field."""
    target = field.target_field if field.is_relation else field
    # Only fields that convert as Django's own classes do: a subclass such as kehu.core.crypto's
    # encrypted field reports "TextField" but must go through its get_db_prep_save (its
    # get_prep_value encrypts); one that overrides none of these (the blind index) is skipped.
    own = all(
        getattr(type(target), name).__module__.startswith("django.db.models.")
        for name in ("get_db_prep_save", "get_db_prep_value", "get_prep_value", "to_python")
    )
    kind = _PASS_THROUGH.get(target.get_internal_type()) if own else None
    prep = field.get_db_prep_save
    if kind in (dt.date, dt.datetime) and connection.vendor != "postgresql":
        # Other backends (SQLite) turn dates and date-times into text: get_db_prep_save of a
        # date, or of an aware date-time, is the backend's adapt_date(time)field_value of it
        # (get_prep_value returns such a value unchanged).
        if kind is dt.date:
            adapt = connection.ops.adapt_datefield_value
        elif settings.USE_TZ and connection.timezone is dt.UTC:
            # adapt_datetimefield_value: make_naive(value, UTC) then str(); for a value
            # already in UTC (timezone.now()) that is its wall time without the zone.
            ops_adapt = connection.ops.adapt_datetimefield_value

            def adapt(value):
                if value.tzinfo is dt.UTC:
                    return str(value.replace(tzinfo=None))
                return ops_adapt(value)
        else:
            adapt = connection.ops.adapt_datetimefield_value

        def adapted(value):
            if value is None:
                return None
            if type(value) is kind and (kind is not dt.datetime or value.utcoffset() is not None):
                return adapt(value)
            return prep(value, connection)

        return adapted

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


def _executemany(
    model: type[models.Model], fields: list[models.Field], rows, suffix: str = ""
) -> None:
    """One single-row INSERT (with `suffix`, e.g. ON CONFLICT), prepared once and run for
    every row."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    converters = [_converter(f) for f in fields]
    placeholders = ", ".join(["%s"] * len(fields))
    table = quote(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) {suffix}"  # noqa: S608
    params = [
        tuple(convert(value) for convert, value in zip(converters, row, strict=True))
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _write(model: type[models.Model], fields: list[models.Field], rows) -> None:
    if connection.vendor == "postgresql":
        _copy(model, fields, rows)
    else:
        _executemany(model, fields, rows)


def _reserve_ids_sqlite(model: type[models.Model], count: int) -> list[int]:
    """The ids AUTOINCREMENT would give the next `count` rows. Only inside a transaction:
    the no-op UPDATE takes SQLite's write lock first (Kehu's connections begin IMMEDIATE, so
    it is normally held already), and no other connection can insert until it is released at
    the end of the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("Ids can only be reserved inside the writing transaction.")
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("UPDATE sqlite_sequence SET seq = seq WHERE name = %s", [table])
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT MAX({quote(model._meta.pk.column)}) FROM {quote(table)}")  # noqa: S608
        top = cursor.fetchone()[0]
    first = max(row[0] if row else 0, top or 0) + 1
    return list(range(first, first + count))


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    if connection.vendor != "postgresql":
        return _reserve_ids_sqlite(model, count)
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
    """What bulk_create does, with COPY or executemany: related ids taken, pks and pre_save
    values (created_at, updated_at) set on the objects, which then count as saved."""
    for obj in objects:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    for obj, pk in zip(objects, _reserve_ids(model, len(objects)), strict=True):
        obj.pk = pk
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    _write(model, fields, ([f.pre_save(obj, True) for f in fields] for obj in objects))
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias


def _fast(model: type[models.Model]) -> bool:
    return connection.vendor in FAST_VENDORS and isinstance(model._meta.pk, models.AutoField)


def create(objects: list[models.Model], model: type[models.Model]) -> None:
    """bulk_create of unsaved `objects` (COPY on PostgreSQL, executemany on SQLite); sets their
    pks. Must run in the caller's transaction."""
    if not objects:
        return
    if not _fast(model):
        model._default_manager.bulk_create(objects, batch_size=BATCH)
        return
    _insert(objects, model)


def create_with_history(objects: list[models.Model], model: type[models.Model], *, by: User):
    """Insert `objects` (unsaved) and one "+" history row each; sets their pks. Must run in
    the caller's transaction."""
    if not objects:
        return
    if not _fast(model):
        bulk_create_with_history(objects, model, batch_size=BATCH, default_user=by)
        return
    _insert(objects, model)
    history = model.history.model
    # history_id is left to the table (as bulk_create does): nothing points at it.
    history_fields = [f for f in history._meta.concrete_fields if not f.primary_key]
    _write(history, history_fields, _history_rows(objects, history, history_fields, by=by))


def upsert(
    objects: list[models.Model],
    model: type[models.Model],
    *,
    unique_fields: list[str],
    update_fields: list[str],
) -> None:
    """bulk_create(objects, update_conflicts=True, unique_fields=..., update_fields=...) for
    unsaved objects. On SQLite: the same INSERT ... ON CONFLICT (...) DO UPDATE statement
    Django builds, with the same values, run with executemany instead of compiled row by row
    (unlike bulk_create, it does not set the objects' pks); elsewhere bulk_create itself."""
    if not objects:
        return
    # PostgreSQL runs Django's multi-row statement faster than one execution per row.
    if connection.vendor != "sqlite" or any(obj.pk is not None for obj in objects):
        model._default_manager.bulk_create(
            objects,
            update_conflicts=True,
            unique_fields=unique_fields,
            update_fields=update_fields,
        )
        return
    for obj in objects:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.generated and f is not opts.pk]
    suffix = connection.ops.on_conflict_suffix_sql(
        fields,
        OnConflict.UPDATE,
        [opts.get_field(name).column for name in update_fields],
        [opts.get_field(name).column for name in unique_fields],
    )
    rows = [[f.pre_save(obj, True) for f in fields] for obj in objects]
    _executemany(model, fields, rows, suffix)
