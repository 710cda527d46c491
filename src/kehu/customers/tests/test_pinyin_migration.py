"""Migration 0015 writes every stored name_pinyin again in the syllable form the search reads."""

import importlib

from django.apps import apps
from django.db import connection

from kehu.customers.models import Customer
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
