"""The importer's fast insert (COPY on PostgreSQL) writes exactly what bulk_create_with_history
writes: the same customers, decision makers and "+" history rows, field by field."""

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.forms.models import model_to_dict
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from kehu.customers.models import Contact, Customer
from kehu.customers.sensitive import mobile_index, mobile_last4_index
from kehu.customers.validators import credit_code_check_char
from kehu.dataquality.imports import writing
from kehu.dataquality.imports.models import ImportAction, ImportRecord, ImportStatus
from kehu.dataquality.imports.tests.files import HEADERS, csv_bytes, row
from kehu.dataquality.imports.tests.test_services import run, upload

CREDIT_CODE = "91330203MA2AFG8X1" + credit_code_check_char("91330203MA2AFG8X1")
EXTRA_HEADERS = ["企业类型", "区县", "详细地址", "状态", "年度预算（元）", "备注", "邮箱", "座机"]
# Differ between two imports of the same file by nature: ids, the time of writing, the serial;
# rows are linked to their customer by name ("customer") instead of by id.
UNCOMPARED = {"id", "customer_id", "history_id", "created_at", "updated_at", "history_date", "code"}


def full_file() -> bytes:
    rows = [
        row(
            name="宁波海曙精工机械有限公司",
            统一社会信用代码=CREDIT_CODE,
            企业类型="民企",
            区县="海曙区",
            详细地址="中山西路 88 号",
            状态="意向客户",
            **{"年度预算（元）": "1234567.50"},
            备注="展会上留的名片\n二次跟进",
            邮箱="li.ming@example.com",
            座机="0574-87654321",
        ),
        row(name="杭州云栖数据科技有限公司", 联系人="王芳", 职务=""),
        row(name="王小明", 客户类型="个人", 行业="", 省份=""),
    ]
    return csv_bytes(rows, headers=[*HEADERS, *EXTRA_HEADERS])


def reference_create_with_history(objects, model, *, by):
    """The write as it was before COPY: simple_history's bulk helper."""
    bulk_create_with_history(objects, model, batch_size=writing.BATCH, default_user=by)


def snapshot() -> dict:
    """Every written row as its field values, in insertion order, with the customer by name."""
    names = dict(Customer.objects.values_list("pk", "name"))

    def rows(queryset):
        result = []
        for obj in queryset.order_by("pk"):
            values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
            values["customer"] = names.get(values.get("customer_id", values["id"]))
            result.append(values)
        return result

    return {
        "customers": rows(Customer.objects.all()),
        "contacts": rows(Contact.objects.all()),
        "customer history": rows(Customer.history.all()),
        "contact history": rows(Contact.history.all()),
        "records": [
            model_to_dict(r, exclude=["id", "job", "customer_id", "customer_code"])
            for r in ImportRecord.objects.order_by("pk")
        ],
    }


def comparable(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in UNCOMPARED} for r in rows]


def test_fast_insert_writes_the_same_rows_and_history_as_bulk_create(owner, monkeypatch):
    data = full_file()
    start = timezone.now()
    with monkeypatch.context() as patched:
        patched.setattr(writing, "create_with_history", reference_create_with_history)
        reference_job = run(upload(owner, data))
    assert reference_job.status == ImportStatus.DONE, reference_job.message
    assert (reference_job.created_count, reference_job.error_count) == (3, 0)
    reference = snapshot()
    for model in (ImportRecord, Contact, Customer, Contact.history.model, Customer.history.model):
        model.objects.all().delete()

    job = run(upload(owner, data))

    assert job.status == ImportStatus.DONE, job.message
    assert (job.created_count, job.error_count) == (3, 0)
    written = snapshot()
    assert written.keys() == reference.keys()
    for table in written:
        assert comparable(written[table]) == comparable(reference[table]), table
    assert {r["action"] for r in written["records"]} == {ImportAction.CREATED}
    customers = {c["id"]: c for c in written["customers"]}
    contacts = {c["id"]: c for c in written["contacts"]}
    for table, originals in (("customer history", customers), ("contact history", contacts)):
        for history in written[table]:
            original = originals[history["id"]]
            assert history["created_at"] == original["created_at"]
            assert history["updated_at"] == original["updated_at"]
            assert history["history_type"] == "+"
            assert history["history_user_id"] == owner.pk
            assert history["history_change_reason"] is None
            assert start <= history["history_date"] <= timezone.now()
    first = Customer.objects.get(name="宁波海曙精工机械有限公司")
    assert first.annual_budget == Decimal("1234567.50")
    assert first.first_contact_date == dt.date(2026, 3, 1)
    assert first.custom_fields == {}
    assert first.created_at.tzinfo is not None
    assert first.code in {r.customer_code for r in ImportRecord.objects.all()}
    contact = Contact.objects.get(customer=first)
    assert contact.mobile_last4_hash == mobile_last4_index(first.decision_maker.mobile[-4:])
    assert contact.mobile_hash == mobile_index(first.decision_maker.mobile)


def test_fast_insert_ids_follow_the_table_sequence(owner, customer):
    job = run(upload(owner, full_file()))

    assert job.created_count == 3
    created = list(Customer.objects.exclude(pk=customer.pk).order_by("pk"))
    assert all(c.pk > customer.pk for c in created)
    new = Customer.objects.create(
        name="上海浦江新材料有限公司",
        code="CX-NEXT",
        scale=created[0].scale,
        source=created[0].source,
        first_contact_date=created[0].first_contact_date,
        owner=owner,
    )
    assert new.pk > created[-1].pk, connection.vendor
