"""SQLite: the importer's fast insert reserves ids itself (the next ones AUTOINCREMENT would
give, under the write lock). Two imports and a form saving customers one by one, in three real
processes on one database file, must not take the same ids or point a contact, history row or
ImportRecord at another writer's customer; a deleted customer's id is never reused."""

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from kehu.core.crypto.keys import key_file, keyring
from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_customer
from kehu.dataquality.imports import copying

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's own id reservation (PostgreSQL: sequences)"
)
WRITERS = (("form", "f"), ("import", "a"), ("import", "b"))
COUNT = 120  # rows per writer: 6 chunks of 20 per import, 120 transactions of the form


def writer(role, db, user, tag, tmp_path):
    # The keys of this test process: the copied database already holds encrypted values.
    env = {
        **os.environ,
        "KEHU_DATA_DIR": str(tmp_path / "data"),
        "KEHU_KEY_FILE": str(key_file()),
    }
    env.pop("DATABASE_URL", None)
    return subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
        [
            sys.executable,
            "-m",
            "kehu.dataquality.imports.tests.sqlite_writers",
            role,
            str(db),
            str(user.pk),
            tag,
            str(COUNT),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_imports_and_a_form_save_get_their_own_ids(owner, tmp_path):
    deleted = make_customer(owner=owner, name="上海浦江新材料有限公司")
    deleted_id = deleted.pk
    deleted.delete()
    db = tmp_path / "shared.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(db)
    connection.connection.backup(target)
    target.close()
    keyring()  # the key file exists before the writers start
    processes = [writer(role, db, owner, tag, tmp_path) for role, tag in WRITERS]
    deadline = time.monotonic() + 120
    while not all(Path(f"{db}.{tag}.ready").exists() for _role, tag in WRITERS):
        assert time.monotonic() < deadline
        assert all(p.poll() is None for p in processes)
        time.sleep(0.05)
    Path(f"{db}.go").touch()
    for process in processes:
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, output

    check = sqlite3.connect(db)
    customers = check.execute("SELECT id, name, remarks, code FROM customers_customer").fetchall()
    assert len(customers) == 3 * COUNT
    assert min(c[0] for c in customers) > deleted_id
    by_id = {c[0]: c for c in customers}
    assert len({c[3] for c in customers}) == len(customers)
    contacts = check.execute("SELECT id, customer_id, title FROM customers_contact").fetchall()
    assert len(contacts) == 3 * COUNT
    assert all(by_id[customer][2] == title for _id, customer, title in contacts)
    history = check.execute(
        "SELECT id, name, remarks FROM customers_historicalcustomer WHERE history_type = '+'"
    ).fetchall()
    assert sorted(h for h in history if h[0] != deleted_id) == sorted(
        (c[0], c[1], c[2]) for c in customers
    )
    contact_history = check.execute(
        "SELECT id, customer_id, title FROM customers_historicalcontact "
        "WHERE history_type = '+' AND customer_id != ?",
        [deleted_id],
    ).fetchall()
    assert sorted(contact_history) == sorted(contacts)
    records = check.execute(
        "SELECT r.customer_id, r.customer_code, j.filename FROM dataquality_importrecord r "
        "JOIN dataquality_importjob j ON j.id = r.job_id"
    ).fetchall()
    assert len(records) == 2 * COUNT
    assert all(
        by_id[pk][3] == code and by_id[pk][2].startswith(filename[0])
        for pk, code, filename in records
    )
    top = check.execute(
        "SELECT seq FROM sqlite_sequence WHERE name = 'customers_customer'"
    ).fetchone()[0]
    assert top == max(by_id)
    check.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ids_are_reserved_only_inside_a_transaction(owner):
    customer = Customer(
        name="宁波海曙精工机械有限公司",
        code="CX-1",
        owner=owner,
        first_contact_date=dt.date(2026, 3, 1),
    )
    with pytest.raises(RuntimeError):
        copying.create([customer], Customer)
    with transaction.atomic():
        copying.create([customer], Customer)
    assert Customer.objects.get(code="CX-1").pk == customer.pk
