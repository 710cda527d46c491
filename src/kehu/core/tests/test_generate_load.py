"""How `kehu generate` loads PostgreSQL (core/generate.py): COPY text written without a
connection, interactions drawn in a forked worker, the interactions' COPY sent from a thread,
and foreign keys checked once after the load instead of row by row."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import connection

from kehu.core import generate
from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_customer
from kehu.interactions.models import Interaction

INTERACTION_FIELDS = (
    "code",
    "customer_id",
    "occurred_at",
    "method",
    "topic",
    "summary",
    "feedback",
    "next_action",
    "next_action_owner_id",
    "next_action_due",
    "follower_id",
    "created_by_id",
    "is_late",
    "created_at",
    "updated_at",
)


@pytest.fixture
def postgresql(db):
    if connection.vendor != "postgresql":
        pytest.skip("the generator's COPY load is PostgreSQL's")


def _company(seed_rng: int = 0) -> generate._Company:
    org = generate._org(rng=random.Random(1), reps=14)
    return generate._Company(rng=random.Random(seed_rng), org=org, today=dt.date(2026, 11, 25))


def _batch(customer: Customer, count: int = 40, seed: int = 11) -> generate._InteractionBatch:
    return generate._InteractionBatch(
        seed=seed,
        customers=[(customer.pk, customer.code, customer.owner_id, customer.created_at)],
        counts=[count],
    )


def _stored(customer: Customer) -> list[tuple]:
    return list(
        Interaction.objects.filter(customer=customer)
        .order_by("code")
        .values_list(*INTERACTION_FIELDS)
    )


def _as_stored(drawn: list[list[dict]]) -> list[tuple]:
    return sorted(tuple(item[f] for f in INTERACTION_FIELDS) for its in drawn for item in its)


def test_the_same_batch_draws_the_same_interactions_whatever_came_before(owner):
    customer = make_customer(owner=owner)
    first = _company(seed_rng=1)
    second = _company(seed_rng=2)
    second.rng.random()  # another generator state before the batch

    drawn, last = generate._draw_interactions(first, _batch(customer))
    again, last_again = generate._draw_interactions(second, _batch(customer))

    assert drawn == again
    assert last == last_again
    codes = [item["code"] for item in drawn[0]]
    assert codes[:2] == [f"HD{customer.code}0001", f"HD{customer.code}0002"]
    # Numbered in the order entered, as interactions.services numbers them.
    by_entry = sorted(drawn[0], key=lambda item: item["created_at"])
    assert [item["code"] for item in by_entry] == sorted(codes)
    assert last == [max(item["occurred_at"] for item in drawn[0])]
    other, _ = generate._draw_interactions(first, _batch(customer, seed=12))
    assert other != drawn


def test_copy_text_loads_every_kind_of_value_as_written(postgresql, owner):
    customer = make_customer(owner=owner)
    when = dt.datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)
    row = {
        "code": "HD-TEXT-1",
        "customer_id": customer.pk,
        "occurred_at": when,
        "method": "phone",
        "topic": "制表符\there, 反斜杠 \\N and \\",
        "summary": "第一行\n第二行\r\n末尾 \\t 不是制表符",
        "feedback": "interested",
        "next_action": "",
        "next_action_owner_id": None,
        "next_action_due": None,
        "follower_id": owner.pk,
        "created_by_id": owner.pk,
        "is_late": True,
        "created_at": when,
        "updated_at": when + dt.timedelta(hours=30),
    }
    writer = generate._Writer(Interaction)

    writer.copy(writer.copy_text([row]))

    stored = Interaction.objects.get(code="HD-TEXT-1")
    assert {f: getattr(stored, f) for f in INTERACTION_FIELDS} == row
    assert generate._Writer._text(Decimal("12.50")) == "12.50"
    # JSON writes the tab as backslash-t; COPY text doubles that backslash.
    assert generate._Writer._text({"键": "值\t"}) == '{"键": "值\\\\t"}'


def test_a_worker_process_draws_the_same_interactions_as_this_process(postgresql, owner):
    customer = make_customer(owner=owner)
    company = _company()
    writer = generate._Writer(Interaction)
    batch = _batch(customer, count=300)

    with generate._InteractionDrawer(company, writer) as drawer:
        assert drawer.pool is not None  # really another process on PostgreSQL
        data, last = drawer.submit(batch).result()
    writer.copy(data)

    drawn, last_here = generate._draw_interactions(_company(seed_rng=5), batch)
    assert _stored(customer) == _as_stored(drawn)
    assert last == last_here


def test_the_connection_is_refused_while_a_copy_runs_from_the_thread(postgresql, owner):
    customer = make_customer(owner=owner)
    writer = generate._Writer(Interaction)
    drawn, _ = generate._draw_interactions(_company(), _batch(customer, count=2000))

    with generate._BackgroundCopy() as background:
        background.copy(writer, writer.copy_text(its for its in drawn[0]))
        with background.connection_busy(), pytest.raises(RuntimeError, match="busy"):
            Customer.objects.count()
        background.wait()

    assert Interaction.objects.filter(customer=customer).count() == 2000


def test_a_failed_copy_in_the_thread_fails_the_run_that_waits_for_it(postgresql, owner):
    customer = make_customer(owner=owner)
    writer = generate._Writer(Interaction)
    drawn, _ = generate._draw_interactions(_company(), _batch(customer, count=5))
    broken = [dict(item, topic=None) for item in drawn[0]]  # topic is NOT NULL

    background = generate._BackgroundCopy()
    background.copy(writer, writer.copy_text(broken))
    with pytest.raises(Exception, match="topic"):
        background.wait()


def _foreign_keys() -> set[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f'"
        )
        return set(cursor.fetchall())


def test_a_run_puts_every_foreign_key_back(postgresql):
    before = _foreign_keys()

    generate.generate(customers=200, interactions=400, seed=5)

    assert _foreign_keys() == before
    assert Customer.objects.count() == 200


def test_rows_that_break_a_foreign_key_fail_the_run_and_leave_nothing(postgresql, monkeypatch):
    before = _foreign_keys()
    draw = generate._draw_interactions

    def with_a_missing_follower(company, batch):
        drawn, last = draw(company, batch)
        for its in drawn:
            for item in its:
                item["follower_id"] = 987_654_321  # no such user
        return drawn, last

    monkeypatch.setattr(generate, "_draw_interactions", with_a_missing_follower)
    with pytest.raises(Exception, match="follower"):
        generate.generate(customers=50, interactions=200, seed=6)

    assert not Customer.objects.exists()
    assert not Interaction.objects.exists()
    assert _foreign_keys() == before


def test_a_deal_with_a_customer_first_contacted_today_closes_today_not_later(owner):
    from django.utils import timezone

    from kehu.sales.models import Contract, Opportunity

    today = timezone.localdate()
    customer = make_customer(owner=owner)
    Customer.objects.filter(pk=customer.pk).update(status="customer", first_contact_date=today)
    customer.refresh_from_db()

    written = generate.add_activity([customer], interactions=0, seed=1)

    assert written["contracts"] == 1
    assert Contract.objects.get(customer=customer).signed_on == today
    assert Opportunity.objects.get(customer=customer).closed_at.date() == today
