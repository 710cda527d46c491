"""The importer's fast insert (COPY on PostgreSQL, executemany on SQLite) writes, byte for byte,
the rows bulk_create_with_history writes: the same ids, every column of customers, decision
makers, both history tables and ImportRecords (encrypted columns compared after decryption:
their nonces are random), with the clock frozen so that the timestamps can be compared too."""

import datetime as dt
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from kehu.customers.models import Contact, Customer, Industry, Region
from kehu.customers.services import customer_check, customer_derive_fields
from kehu.customers.tests.factories import make_customer
from kehu.customers.validators import credit_code_check_char
from kehu.dataquality.imports import copying
from kehu.dataquality.imports.models import ImportAction, ImportJob, ImportRecord
from kehu.dataquality.models import CustomerCompleteness

FROZEN = dt.datetime(2026, 11, 24, 3, 4, 5, 678901, tzinfo=dt.UTC)
TABLES = (Customer, Contact, Customer.history.model, Contact.history.model, ImportRecord)


class Rollback(Exception):
    pass


def credit_code(body: str) -> str:
    return body + credit_code_check_char(body)


def build(owner, count: int):
    """Unsaved customers and decision makers as the importer builds them, with every kind
    of value: empty and filled optional fields, decimals, dates, custom fields, None."""
    industry = Industry.objects.filter(parent__isnull=False, is_active=True).first()
    region = Region.objects.filter(parent__isnull=False, is_active=True).first()
    pairs = []
    for i in range(count):
        data = {
            "customer_type": "enterprise",
            "name": f"宁波海曙第{i}精工机械有限公司",
            "credit_code": credit_code(f"91330203MA2AFG{i:03d}") if i % 2 else None,
            "industry": industry if i % 3 else None,
            "scale": "medium",
            "region": region if i % 4 else None,
            "city": "宁波市" if i % 2 else "",
            "street": "中山西路 88 号\n二楼",
            "source": "exhibition",
            "first_contact_date": dt.date(2026, 3, 1) + dt.timedelta(days=i),
            "status": "prospect",
            "annual_budget": Decimal("1234567.50") + i if i % 2 else None,
            "remarks": f"备注 {i}",
        }
        maker = {
            "name": "李明",
            "title": "总经理" if i % 2 else "",
            "mobile": f"1380013{i:04d}",
            "email": f"li{i}@example.com" if i % 3 else "",
            "phone": "0574-87654321" if i % 2 else "",
        }
        check = customer_check(by=owner, data=data, decision_maker=maker, owner=owner)
        assert not check.errors, check.errors
        check.customer.code = f"CXTEST{i:05d}"
        customer_derive_fields(check.customer)
        pairs.append((check.customer, check.contact))
    return pairs


def write(owner, job, pairs, *, fast: bool) -> None:
    customers = [c for c, _contact in pairs]
    if fast:
        copying.create_with_history(customers, Customer, by=owner)
    else:
        bulk_create_with_history(customers, Customer, batch_size=copying.BATCH, default_user=owner)
    contacts = []
    for customer, contact in pairs:
        contact.customer = customer
        contacts.append(contact)
    if fast:
        copying.create_with_history(contacts, Contact, by=owner)
    else:
        bulk_create_with_history(contacts, Contact, batch_size=copying.BATCH, default_user=owner)
    records = [
        ImportRecord(
            job=job,
            customer_id=c.pk,
            customer_code=c.code,
            action=ImportAction.CREATED,
            version_after=c.version,
            before={"mobile": "13800138000"} if i % 2 else {},
        )
        for i, c in enumerate(customers)
    ]
    if fast:
        copying.create(records, ImportRecord)
    else:
        ImportRecord.objects.bulk_create(records, batch_size=copying.BATCH)


def raw_rows() -> dict[str, list[tuple]]:
    """Every row of the written tables as the database holds it, encrypted columns decrypted."""
    result = {}
    for model in TABLES:
        fields = [f for f in model._meta.concrete_fields]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {connection.ops.quote_name(model._meta.db_table)} "  # noqa: S608
                f"ORDER BY {connection.ops.quote_name(model._meta.pk.column)}"
            )
            rows = cursor.fetchall()
        encrypted = [
            type(f).__module__.startswith("kehu.core.crypto") and hasattr(f, "from_db_value")
            for f in fields
        ]
        result[model._meta.db_table] = [
            tuple(
                f.from_db_value(value, None, connection) if secret and value is not None else value
                for f, secret, value in zip(fields, encrypted, row, strict=True)
            )
            for row in rows
        ]
    return result


def sequences() -> list[tuple[str, int, bool]]:
    """PostgreSQL: the sequences' positions, to put them back after the reference write (a
    rolled-back transaction does not return sequence values; SQLite's sqlite_sequence does)."""
    if connection.vendor != "postgresql":
        return []
    found = []
    with connection.cursor() as cursor:
        for model in TABLES:
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, %s)",
                [model._meta.db_table, model._meta.pk.column],
            )
            name = cursor.fetchone()[0]
            cursor.execute(f"SELECT last_value, is_called FROM {name}")  # noqa: S608
            found.append((name, *cursor.fetchone()))
    return found


def restore(positions) -> None:
    with connection.cursor() as cursor:
        for name, value, called in positions:
            cursor.execute("SELECT setval(%s, %s, %s)", [name, value, called])


def written_by(owner, job, *, fast: bool, monkeypatch) -> dict[str, list[tuple]]:
    """The rows one path writes, then everything rolled back."""
    positions = sequences()
    captured = {}
    with monkeypatch.context() as patched:
        patched.setattr(timezone, "now", lambda: FROZEN)
        try:
            with transaction.atomic():
                write(owner, job, build(owner, 25), fast=fast)
                captured = raw_rows()
                raise Rollback
        except Rollback:
            pass
    restore(positions)
    return captured


def test_fast_insert_writes_exactly_the_rows_of_bulk_create_with_history(owner, monkeypatch):
    # A customer deleted before the import: its id must not be reused by either path.
    make_customer(owner=owner, name="上海浦江新材料有限公司").delete()
    job = ImportJob.objects.create(created_by=owner, filename="a.csv", headers=[], mapping={})

    reference = written_by(owner, job, fast=False, monkeypatch=monkeypatch)
    fast = written_by(owner, job, fast=True, monkeypatch=monkeypatch)

    assert set(fast) == set(reference)
    for table, rows in reference.items():
        assert len(rows) >= 25, table  # history tables also hold the deleted customer's
        assert fast[table] == rows, table
    deleted = Customer.history.filter(history_type="-").get().id
    assert min(row[0] for row in fast[Customer._meta.db_table]) > deleted


def test_fast_ids_follow_on_after_rows_written_by_others(owner):
    """Ids reserved by the fast path come after the ones the table handed out, and the table
    hands out the next ones after them (a form save after the import)."""
    before = make_customer(owner=owner, name="上海浦江新材料有限公司")
    pairs = build(owner, 3)
    with transaction.atomic():
        copying.create_with_history([c for c, _ in pairs], Customer, by=owner)
    ids = [c.pk for c, _ in pairs]
    assert ids == list(range(before.pk + 1, before.pk + 4))
    after = make_customer(owner=owner, name="杭州云栖数据科技有限公司")
    assert after.pk == ids[-1] + 1
    history = dict(Customer.history.filter(history_type="+").values_list("id", "name"))
    assert history == {c.pk: c.name for c in (before, *[c for c, _ in pairs], after)}


def completeness_rows(owner, customers, *, fast: bool, monkeypatch) -> list[tuple]:
    """The completeness table after one upsert path, then rolled back."""
    positions = sequences()
    fields = ["state", "missing", "incomplete_since", "due_date", "checked_at"]
    captured = []
    with monkeypatch.context() as patched:
        patched.setattr(timezone, "now", lambda: FROZEN)
        try:
            with transaction.atomic():
                objects = [
                    CustomerCompleteness(
                        customer=c,
                        state="pending" if i % 2 else "complete",
                        missing=["industry"] if i % 2 else [],
                        incomplete_since=dt.date(2026, 11, 2) if i % 2 else None,
                        due_date=dt.date(2026, 11, 5) if i % 2 else None,
                        checked_at=FROZEN,
                    )
                    for i, c in enumerate(customers)
                ]
                if fast:
                    copying.upsert(
                        objects,
                        CustomerCompleteness,
                        unique_fields=["customer"],
                        update_fields=fields,
                    )
                else:
                    CustomerCompleteness.objects.bulk_create(
                        objects,
                        update_conflicts=True,
                        unique_fields=["customer"],
                        update_fields=fields,
                    )
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT customer_id, state, missing, incomplete_since, due_date, "
                        "reminded_at, "
                        "checked_at FROM dataquality_customercompleteness ORDER BY customer_id"
                    )
                    captured = cursor.fetchall()
                raise Rollback
        except Rollback:
            pass
    restore(positions)
    return captured


def test_fast_upsert_writes_what_bulk_create_with_update_conflicts_writes(owner, monkeypatch):
    """New rows inserted, existing ones updated in the listed fields only (reminded_at kept)."""
    customers = [
        make_customer(owner=owner, name=f"宁波海曙第{i}精工机械有限公司") for i in range(4)
    ]
    CustomerCompleteness.objects.filter(customer__in=customers).delete()
    for customer, reminded in ((customers[0], FROZEN - dt.timedelta(days=1)), (customers[1], None)):
        CustomerCompleteness.objects.create(
            customer=customer,
            state="overdue",
            missing=["decision_maker.title"],
            incomplete_since=dt.date(2026, 10, 1),
            due_date=dt.date(2026, 10, 6),
            reminded_at=reminded,
            checked_at=FROZEN - dt.timedelta(days=2),
        )

    reference = completeness_rows(owner, customers, fast=False, monkeypatch=monkeypatch)
    fast = completeness_rows(owner, customers, fast=True, monkeypatch=monkeypatch)

    assert len(reference) == 4
    assert fast == reference
    kept = {row[0]: row for row in fast}
    assert kept[customers[0].pk][5] is not None  # reminded_at is not among the updated fields
    assert kept[customers[0].pk][1] == "complete"  # the state is
    assert kept[customers[3].pk][1] == "pending"  # a new row
