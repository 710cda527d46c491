"""Re-encrypting stored values under the current key (``kehu rotate_keys``).

Column by column, in batches by primary key, each batch in its own transaction: an interrupted
run has lost nothing and the next run goes on where the old key's rows remain (rows already
under the current key are read and skipped, never rewritten). Each row is updated only if it
still holds the ciphertext that was read (``WHERE pk = … AND col = old``), so a value the
application changed meanwhile — written under the current key anyway — is left alone: safe
while the web server and worker run. Blind indexes do not change (their key never rotates).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction

from kehu.core.crypto import decrypt_text, encrypt_text, text_token, token_kid
from kehu.core.crypto.fields import (
    SEALED,
    EncryptedTextField,
    PartlyEncryptedJSONField,
    is_sealed,
)
from kehu.core.crypto.keys import keyring


@dataclass
class ColumnResult:
    label: str
    rows: int = 0  # non-empty values looked at
    rotated: int = 0
    skipped: int = 0  # changed by someone else between the read and the update
    done: bool = True  # False when stopped by max_rows (run again to go on)


def _update_many(cursor, sql: str, updates: list[list], result: ColumnResult) -> None:
    """The batch's compare-and-set updates in one round trip (psycopg pipelines executemany);
    the rows whose value changed since the read are not matched, so counted as skipped."""
    if not updates:
        return
    cursor.executemany(sql, updates)
    matched = max(cursor.rowcount, 0)
    result.rotated += matched
    result.skipped += len(updates) - matched


def rows_to_rotate(model, field: EncryptedTextField) -> int:
    """Non-empty values in the column (for the progress bar's total; cheap count)."""
    return model._base_manager.exclude(**{field.name: ""}).exclude(**{field.name: None}).count()


def _rotate_in_batches(
    model,
    field,
    *,
    columns: str,
    compared: str,
    only: str = "",
    renew: Callable[..., tuple[object, object] | None],
    batch: int,
    max_rows: int | None,
    on_batch: Callable[[int], None] | None,
) -> ColumnResult:
    """The loop every kind of encrypted column shares: read a batch after the last primary
    key, let ``renew(stored, *extra)`` give a row's (new, old) value or None when it is already
    current, and write the batch's compare-and-set updates in its own transaction."""
    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote(field.column)
    pk = quote(model._meta.pk.column)
    result = ColumnResult(label=f"{model._meta.db_table}.{field.column}")
    last = None
    while True:
        conditions = [f"{pk} > %s"] if last is not None else []
        if only:
            conditions.append(only)
        where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {pk}, {columns} FROM {table} {where}"  # noqa: S608 (model names)
                f"ORDER BY {pk} LIMIT %s",
                [last, batch] if last is not None else [batch],
            )
            rows = cursor.fetchall()
            if not rows:
                return result
            examined = 0
            updates = []
            for key, stored, *extra in rows:
                if (
                    max_rows is not None
                    and result.rotated + result.skipped + len(updates) >= max_rows
                ):
                    result.done = False
                    break
                examined += 1
                last = key
                renewed = renew(stored, *extra)
                if renewed is not None:
                    new, old = renewed
                    updates.append([new, key, old])
            _update_many(
                cursor,
                f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {compared} = %s",  # noqa: S608
                updates,
                result,
            )
        result.rows += examined
        if on_batch:
            on_batch(examined)
        if not result.done:
            return result


def rotate_column(
    model,
    field: EncryptedTextField,
    *,
    batch: int = 1000,
    max_rows: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> ColumnResult:
    column = connection.ops.quote_name(field.column)
    current = keyring().current

    def renew(token):
        if token_kid(text_token(token)) == current:
            return None
        return encrypt_text(
            decrypt_text(token, context=field.purpose), context=field.purpose
        ), token

    return _rotate_in_batches(
        model,
        field,
        columns=column,
        compared=column,
        only=f"{column} <> ''",
        renew=renew,
        batch=batch,
        max_rows=max_rows,
        on_batch=on_batch,
    )


def _needs_sealing(field: PartlyEncryptedJSONField, value, current: str, keys) -> bool:
    if not isinstance(value, dict):
        return False
    for key, item in value.items():
        if is_sealed(item):
            if token_kid(text_token(item[SEALED])) != current:
                return True
        elif key in keys and item is not None:
            return True  # a field marked sensitive after this value was written
    return False


def rotate_json_column(
    model,
    field: PartlyEncryptedJSONField,
    *,
    batch: int = 1000,
    max_rows: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> ColumnResult:
    """The same for a partly encrypted JSON column: old-key entries re-encrypted, and values
    of keys marked sensitive since they were written encrypted now."""
    from django.utils.module_loading import import_string

    column = connection.ops.quote_name(field.column)
    # The value read back as text is compared as text (jsonb has no text equality).
    compared = f"{column}::text" if connection.vendor == "postgresql" else column
    current = keyring().current
    keys = import_string(field.sensitive_keys)()

    def renew(raw):
        value = json.loads(raw) if isinstance(raw, str) else raw
        if not _needs_sealing(field, value, current, keys):
            return None
        return field.get_db_prep_save(field.open(value), connection), raw

    return _rotate_in_batches(
        model,
        field,
        columns=compared,
        compared=compared,
        renew=renew,
        batch=batch,
        max_rows=max_rows,
        on_batch=on_batch,
    )


# --- binary columns sealed with encrypt_bytes -------------------------------------------------
@dataclass(frozen=True)
class SealedBytes:
    """A binary column written with ``encrypt_bytes``: `context` turns the values of a row's
    `context_columns` into the associated data its token was sealed with."""

    model: str  # app_label.ModelName
    field: str
    context_columns: tuple[str, ...]
    context: Callable[..., bytes]


_SEALED_BYTES: dict[tuple[str, str], SealedBytes] = {}


def register_sealed_bytes(
    model: str, field: str, *, context_columns: tuple[str, ...], context: Callable[..., bytes]
) -> None:
    """Declare an ``encrypt_bytes`` column (from its app's ``ready``) so that rotation, and
    the check that every encrypted value is covered, know it."""
    _SEALED_BYTES[(model, field)] = SealedBytes(model, field, tuple(context_columns), context)


def sealed_bytes_columns() -> list[tuple[type, object, SealedBytes]]:
    from django.apps import apps

    found = []
    for spec in _SEALED_BYTES.values():
        model = apps.get_model(spec.model)
        found.append((model, model._meta.get_field(spec.field), spec))
    return found


def rows_to_rotate_bytes(model, field) -> int:
    return model._base_manager.count()


def rotate_bytes_column(
    model,
    field,
    *,
    spec: SealedBytes,
    batch: int = 1000,
    max_rows: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> ColumnResult:
    """The same as ``rotate_column`` for a binary ``encrypt_bytes`` column (recycle-bin
    snapshots): batches by primary key, one transaction each, compare-and-set update."""
    from kehu.core.crypto import decrypt_bytes, encrypt_bytes

    quote = connection.ops.quote_name
    column = quote(field.column)
    extra = [quote(model._meta.get_field(name).column) for name in spec.context_columns]
    current = keyring().current

    def renew(token, *context_values):
        if not token:
            return None
        token = bytes(token)
        if token_kid(token) == current:
            return None
        context = spec.context(*context_values)
        return encrypt_bytes(decrypt_bytes(token, context=context), context=context), token

    return _rotate_in_batches(
        model,
        field,
        columns=", ".join([column, *extra]),
        compared=column,
        renew=renew,
        batch=batch,
        max_rows=max_rows,
        on_batch=on_batch,
    )
