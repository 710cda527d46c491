"""Migration 0017: the search index functions in PL/pgSQL give the same pieces as the SQL
functions they replace (0008, 0015), for every kind of text a name or its pinyin holds."""

import importlib

import pytest
from django.db import connection

earlier_bigrams = importlib.import_module(
    "kehu.customers.migrations.0008_list_filter_and_search_indexes"
).BIGRAMS_FUNCTION
earlier_pairs = importlib.import_module(
    "kehu.customers.migrations.0015_pinyin_by_syllable"
).PAIRS_FUNCTION

TEXTS = [
    "",
    "苏",
    "苏州",
    "苏州恒瑞科技有限公司",
    "ACME（上海）贸易有限公司",
    "  两端有空格  ",
    "ＡＢ  全角 半角ab",
    "重复重复重复",
    " su zhou heng rui ke ji you xian gong si",
    " su",
    " a  b   c ",
    "x",
]


@pytest.fixture
def earlier_functions(db):
    if connection.vendor != "postgresql":
        pytest.skip("the search index functions are PostgreSQL's")
    with connection.cursor() as cursor:
        for sql, name in (
            (earlier_bigrams, "kehu_bigrams"),
            (earlier_pairs, "kehu_syllable_pairs"),
        ):
            cursor.execute(sql.replace(f"FUNCTION {name}(", f"FUNCTION pg_temp.earlier_{name}("))


@pytest.mark.parametrize("function", ["kehu_bigrams", "kehu_syllable_pairs"])
def test_each_function_gives_the_same_pieces_as_the_sql_function_it_replaced(
    earlier_functions, function
):
    with connection.cursor() as cursor:
        for text in TEXTS:
            cursor.execute(
                f"SELECT {function}(%s), pg_temp.earlier_{function}(%s)",  # noqa: S608
                [text, text],
            )
            now, before = cursor.fetchone()
            assert set(now) == set(before), text


def test_the_functions_are_plpgsql_after_the_migration(earlier_functions):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.proname, l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
            "WHERE p.proname IN ('kehu_bigrams', 'kehu_syllable_pairs') "
            "AND p.pronamespace = 'public'::regnamespace"
        )
        assert dict(cursor.fetchall()) == {
            "kehu_bigrams": "plpgsql",
            "kehu_syllable_pairs": "plpgsql",
        }
