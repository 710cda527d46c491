"""The copy of the customer's owner and department on opportunities, contracts and payments
(sales.scope_copy): every write path leaves it equal to the customer's, and the scope tested on
the copy selects exactly the rows the scope through the customer does."""

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from kehu.accounts.tests.factories import make_user
from kehu.core.access import copied_customer_scope_q, customer_scope_q
from kehu.customers.models import Customer, ShareAccess
from kehu.customers.services import customer_share_set
from kehu.customers.tests.factories import make_customer
from kehu.sales.models import Contract, Opportunity, Payment
from kehu.sales.services.contracts import payment_plan_add
from kehu.sales.tests.factories import make_contract, make_opportunity


def _mismatches() -> list[tuple]:
    """Rows whose copy differs from their customer (none, whatever happened before)."""
    wrong: list[tuple] = []
    for model in (Opportunity, Contract):
        for row in model.objects.select_related("customer"):
            if (row.scope_owner_id, row.scope_department_id) != (
                row.customer.owner_id,
                row.customer.department_id,
            ):
                wrong.append((model.__name__, row.pk))
    for payment in Payment.objects.select_related("contract__customer"):
        customer = payment.contract.customer
        if (payment.scope_customer_id, payment.scope_owner_id, payment.scope_department_id) != (
            customer.pk,
            customer.owner_id,
            customer.department_id,
        ):
            wrong.append(("Payment", payment.pk))
    return wrong


def _deal(customer):
    opportunity = make_opportunity(customer=customer)
    contract = make_contract(customer=customer)
    payment = payment_plan_add(
        contract=contract,
        by=customer.owner,
        planned_on=dt.date(2026, 3, 1),
        planned_amount=Decimal(40000),
    )
    return opportunity, contract, payment


def test_new_rows_carry_their_customers_owner_and_department(org, customer):
    opportunity, contract, payment = _deal(customer)

    opportunity.refresh_from_db()
    payment.refresh_from_db()
    assert (opportunity.scope_owner_id, opportunity.scope_department_id) == (
        org.owner.pk,
        org.east.pk,
    )
    assert (payment.scope_customer_id, payment.scope_owner_id) == (customer.pk, org.owner.pk)
    assert _mismatches() == []


def test_owner_change_by_handover_moves_the_copy_along(org, customer):
    from kehu.accounts.services import handover_confirm, handover_request

    _deal(customer)
    handover = handover_request(from_user=org.owner, to_user=org.outsider, by=org.administrator)
    handover_confirm(handover=handover, by=handover.approver)

    customer.refresh_from_db()
    assert customer.owner == org.outsider
    assert Opportunity.objects.get().scope_owner_id == org.outsider.pk
    assert Payment.objects.get().scope_department_id == org.north.pk
    assert _mismatches() == []


def test_bulk_update_of_owners_rewrites_every_copy(org, customer):
    second = make_customer(owner=org.owner, name="杭州西湖茶业有限公司")
    _deal(customer)
    _deal(second)

    # A queryset update (no save(), no signal): what the pool's recycling and imports use.
    Customer.objects.filter(owner=org.owner).update(owner=org.outsider, department=org.north)

    assert set(Contract.objects.values_list("scope_owner_id", flat=True)) == {org.outsider.pk}
    assert _mismatches() == []


def test_a_stale_row_saved_after_the_owner_changed_keeps_the_new_owner(org, customer):
    opportunity, contract, _payment = _deal(customer)
    stale = Opportunity.objects.get(pk=opportunity.pk)  # read while the owner was org.owner

    Customer.objects.filter(pk=customer.pk).update(owner=org.outsider, department=org.north)
    stale.name = "MES 系统二期"
    stale.save()  # writes every column, the copy it read included

    assert Opportunity.objects.get(pk=opportunity.pk).scope_owner_id == org.outsider.pk
    assert _mismatches() == []


def test_rows_moved_to_another_customer_take_its_owner(org, customer):
    other = make_customer(owner=org.outsider, name="天津海河物流有限公司")
    _deal(customer)

    # What a merge does to the dropped customer's rows.
    Opportunity.objects.filter(customer=customer).update(customer=other)
    Contract.objects.filter(customer=customer).update(customer=other)

    payment = Payment.objects.get()
    assert (payment.scope_customer_id, payment.scope_owner_id) == (other.pk, org.outsider.pk)
    assert _mismatches() == []


def test_copied_scope_selects_the_same_rows_as_the_scope_through_the_customer(org, customer):
    boss = make_user("boss", department=org.hq, roles=["sales"])
    junior = make_user("junior", department=org.east, roles=["sales"], superior=boss)
    customers = [
        customer,
        make_customer(owner=org.outsider, name="天津海河物流有限公司"),
        make_customer(owner=org.service, name="广州南方餐饮管理有限公司"),
        make_customer(owner=junior, by=junior, name="杭州西湖茶业有限公司"),
    ]
    for record in customers:
        _deal(record)
    customer_share_set(customer=customers[1], user=boss, access=ShareAccess.READ, by=org.outsider)

    users = (boss, junior, org.owner, org.teammate, org.manager, org.outsider, org.service)
    for user in (*users, org.administrator):
        for model in (Opportunity, Contract):
            through = set(model.objects.filter(customer_scope_q(user, prefix="customer__")))
            assert set(model.objects.filter(copied_customer_scope_q(user))) == through, user
        through = set(Payment.objects.filter(customer_scope_q(user, prefix="contract__customer__")))
        copied = set(
            Payment.objects.filter(copied_customer_scope_q(user, customer="scope_customer_id"))
        )
        assert copied == through, user
    # Not a vacuous equality: the scopes differ from user to user.
    assert Opportunity.objects.filter(copied_customer_scope_q(boss)).count() == 2
    assert Opportunity.objects.filter(copied_customer_scope_q(org.manager)).count() == 3
    assert not Opportunity.objects.filter(copied_customer_scope_q(org.teammate)).exists()


# --- under real concurrency (PostgreSQL: SQLite runs one writer at a time) --------------------
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises writers"
)


def _in_thread(job, done: threading.Event, failures: list) -> threading.Thread:
    def run() -> None:
        try:
            job()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)
        finally:
            done.set()
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_opportunity_written_while_the_owner_changes_gets_the_new_owner(org, customer):
    changed = threading.Event()
    finished = threading.Event()
    failures: list = []

    def change_owner() -> None:
        with transaction.atomic():
            Customer.objects.filter(pk=customer.pk).update(owner=org.outsider, department=org.north)
            changed.set()
            time.sleep(0.5)  # the opportunity below is written before this commits

    thread = _in_thread(change_owner, finished, failures)
    assert changed.wait(timeout=30)
    opportunity = make_opportunity(customer=customer)
    thread.join(timeout=60)

    assert not failures, failures
    opportunity.refresh_from_db()
    assert opportunity.scope_owner_id == org.outsider.pk
    assert _mismatches() == []


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_owner_change_while_an_opportunity_is_written_reaches_it(org, customer):
    written = threading.Event()
    finished = threading.Event()
    failures: list = []

    def write_opportunity() -> None:
        with transaction.atomic():
            make_opportunity(customer=customer)
            written.set()
            time.sleep(0.5)  # the owner changes below before this commits

    thread = _in_thread(write_opportunity, finished, failures)
    assert written.wait(timeout=30)
    Customer.objects.filter(pk=customer.pk).update(owner=org.outsider, department=org.north)
    thread.join(timeout=60)

    assert not failures, failures
    assert Opportunity.objects.get().scope_owner_id == org.outsider.pk
    assert _mismatches() == []
