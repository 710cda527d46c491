"""Human-readable record codes (客户编号 CX202611 00001) that are unique under concurrency.

One atomic upsert per code: two transactions can never read the same serial, on SQLite
(3.35+, single writer) or PostgreSQL (row lock taken by ON CONFLICT DO UPDATE). A rolled-back
transaction may leave a gap; codes are never reused.
"""

from django.db import connection

_UPSERT = (
    "INSERT INTO core_codesequence (name, value) VALUES (%s, 1) "
    "ON CONFLICT (name) DO UPDATE SET value = core_codesequence.value + 1 "
    "RETURNING value"
)


def next_serial(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [name])
        return int(cursor.fetchone()[0])


def reserve_serials(name: str, count: int) -> range:
    """Reserve `count` consecutive serials at once (bulk loads)."""
    sql = (
        "INSERT INTO core_codesequence (name, value) VALUES (%s, %s) "
        "ON CONFLICT (name) DO UPDATE SET value = core_codesequence.value + %s "
        "RETURNING value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [name, count, count])
        last = int(cursor.fetchone()[0])
    return range(last - count + 1, last + 1)
