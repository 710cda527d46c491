"""Migration 0015: every stored name_pinyin written again in the syllable form the search
reads, and on PostgreSQL the syllable-pair index the search asks."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.customers.models import Customer
from kehu.customers.selectors import customer_search_q
from kehu.customers.tests.factories import make_customer

migration = importlib.import_module("kehu.customers.migrations.0015_pinyin_by_syllable")


class _Editor:
    connection = connection


def test_the_migration_rewrites_pinyin_stored_without_syllable_breaks(owner, monkeypatch):
    monkeypatch.setattr(migration, "BATCH", 2)  # several batches
    customers = [
        make_customer(owner=owner, name=name)
        for name in ("苏州恒瑞科技有限公司", "杭州正瑞科技有限公司", "西安数据服务有限公司")
    ]
    Customer.objects.update(name_pinyin="suzhouhengrui")  # as 0014 and earlier stored it

    migration.rewrite_pinyin(apps, _Editor())

    stored = dict(Customer.objects.values_list("pk", "name_pinyin"))
    assert stored == {
        customers[0].pk: " su zhou heng rui ke ji you xian gong si",
        customers[1].pk: " hang zhou zheng rui ke ji you xian gong si",
        customers[2].pk: " xi an shu ju fu wu you xian gong si",
    }


def test_the_pairs_function_pairs_each_syllable_with_the_next_and_its_first_letter(db):
    if connection.vendor != "postgresql":
        pytest.skip("the syllable-pair index is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT kehu_syllable_pairs(%s)", [" su zhou heng rui"])
        pairs = set(cursor.fetchone()[0])

    assert pairs == {"su zhou", "su z", "zhou heng", "zhou h", "heng rui", "heng r"}


def test_a_search_of_two_syllables_asks_the_pairs_index_on_postgresql(owner):
    found = make_customer(owner=owner, name="苏州恒瑞科技有限公司")
    make_customer(owner=owner, name="杭州正瑞科技有限公司")

    with CaptureQueriesContext(connection) as queries:
        result = list(Customer.objects.filter(customer_search_q(owner, "hengrui")))

    assert result == [found]
    asked = "kehu_syllable_pairs" in queries.captured_queries[-1]["sql"]
    assert asked == (connection.vendor == "postgresql")
