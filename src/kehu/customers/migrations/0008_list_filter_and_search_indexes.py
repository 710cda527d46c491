"""Indexes for the customer list at a million rows (issue 7): the remaining filters and sorts,
and on PostgreSQL trigram indexes (pg_trgm) for the "contains" searches on name, pinyin,
initials and contact name, plus bigram indexes for two-character names (恒瑞: too short for a
trigram). SQLite keeps its plain LIKE search (no extension, small tables)."""

import logging

from django.db import migrations, models, transaction

logger = logging.getLogger(__name__)

TRIGRAM_INDEXES = [
    # Django's icontains is UPPER(col) LIKE UPPER(%s): the index is on the same expression.
    ("customer_name_trgm", "customers_customer", "UPPER(name) gin_trgm_ops"),
    ("customer_pinyin_trgm", "customers_customer", "name_pinyin gin_trgm_ops"),
    ("customer_initials_trgm", "customers_customer", "name_initials gin_trgm_ops"),
    ("contact_name_trgm", "customers_contact", "UPPER(name) gin_trgm_ops"),
]
# Every two-character piece of a text, for "contains" searches of two characters.
BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION kehu_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(value, i, 2)), '{}')
    FROM generate_series(1, char_length(value) - 1) AS i
$$
"""
BIGRAM_INDEXES = [
    ("customer_name_bigrams", "customers_customer", "kehu_bigrams(UPPER(name))"),
    ("contact_name_bigrams", "customers_contact", "kehu_bigrams(UPPER(name))"),
]


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:  # no contrib package, or no right to create extensions
        logger.warning("pg_trgm is not available (%s): name search runs without its index", exc)
        return
    for name, table, expression in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})"
        )


def create_bigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(BIGRAMS_FUNCTION)
    for name, table, expression in BIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in TRIGRAM_INDEXES + BIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS kehu_bigrams(text)")


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0007_encrypt_contact_mobile"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["customer_type"], name="customer_type"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["enterprise_type"], name="customer_enterprise_type"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["first_contact_date"], name="customer_first_contact"),
        ),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes, elidable=False),
        migrations.RunPython(create_bigram_indexes, migrations.RunPython.noop, elidable=False),
    ]
