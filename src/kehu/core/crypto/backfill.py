"""Encrypting a column that held plaintext (and back), for data migrations.

Plain SQL over the table rather than the migration's historical model: the model state
already says "encrypted" while the rows are still plaintext, so loading them through the
field would try to decrypt them. Rows go in batches by primary key (bounded memory on tables
of millions); works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

from kehu.core.crypto import blind_index, decrypt_text, encrypt_text
from kehu.core.crypto.keys import keyring

BATCH = 2000


def _rows(cursor, quote, *, table: str, pk: str, columns: Sequence[str], batch: int):
    last = None
    selected = ", ".join(quote(c) for c in (pk, *columns))
    while True:
        where = f"WHERE {quote(pk)} > %s " if last is not None else ""
        cursor.execute(
            f"SELECT {selected} FROM {quote(table)} {where}"  # noqa: S608 (names from the migration)
            f"ORDER BY {quote(pk)} LIMIT %s",
            [last, batch] if last is not None else [batch],
        )
        rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _index(value: str, purpose: str, suffix: int) -> str:
    if suffix:
        value = value[-suffix:] if len(value) >= suffix else ""
    return blind_index(value, purpose=purpose)


def encrypt_column(
    schema_editor,
    *,
    table: str,
    pk: str,
    column: str,
    purpose: str,
    indexes: Sequence[tuple[str, str, int]] = (),
    batch: int = BATCH,
) -> None:
    """Encrypt `column` in place and fill its blind-index columns: (column, purpose, suffix).

    Loads the keys first, even for an empty table: on a new install this is the moment the
    key file is made (the migration is not recorded yet, so the database holds nothing
    encrypted); after it, a missing key file means a lost key."""
    keyring()
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(c)} = %s" for c in (column, *(i[0] for i in indexes)))
    sql = f"UPDATE {quote(table)} SET {assignments} WHERE {quote(pk)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        for rows in _rows(cursor, quote, table=table, pk=pk, columns=[column], batch=batch):
            params = []
            for key, value in rows:
                value = value or ""
                token = encrypt_text(value, context=purpose) if value else value
                hashes = [_index(value, p, s) for _c, p, s in indexes]
                params.append([token, *hashes, key])
            cursor.executemany(sql, params)


def decrypt_column(
    schema_editor,
    *,
    table: str,
    pk: str,
    column: str,
    purpose: str,
    suffix_columns: Sequence[tuple[str, int]] = (),
    batch: int = BATCH,
) -> None:
    """The reverse: plaintext back in `column`, and plain suffixes (last 4) where wanted."""
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(c)} = %s" for c in (column, *(s[0] for s in suffix_columns)))
    sql = f"UPDATE {quote(table)} SET {assignments} WHERE {quote(pk)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        for rows in _rows(cursor, quote, table=table, pk=pk, columns=[column], batch=batch):
            params = []
            for key, token in rows:
                value = decrypt_text(token, context=purpose) if token else (token or "")
                suffixes = [value[-n:] if value else "" for _c, n in suffix_columns]
                params.append([value, *suffixes, key])
            cursor.executemany(sql, params)
