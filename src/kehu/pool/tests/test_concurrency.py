"""Claims under real concurrency: threads, each with its own PostgreSQL connection, released
together by a barrier. SQLite serialises writers anyway, so these run on PostgreSQL only."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from kehu.accounts.tests.factories import make_user
from kehu.pool.models import PoolEntry, PoolEvent, PoolEventAction
from kehu.pool.services.pool import pool_entry_claim
from kehu.pool.tests.factories import make_pool, pooled

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so no claims ever overlap",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _race(jobs) -> tuple[list, list[str]]:
    """Run the callables at the same moment; (results, refusal field names)."""
    start = threading.Barrier(len(jobs))
    results: list = []
    refusals: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run(job) -> None:
        try:
            start.wait(timeout=30)
            result = job()
            with lock:
                results.append(result)
        except ValidationError as exc:
            with lock:
                refusals.extend(exc.message_dict)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    return results, refusals


def test_two_sales_claiming_the_same_customer_at_once_exactly_one_succeeds(org):
    make_pool(org)
    entry = pooled(org)
    # Members only (the manager heads the department above the pool's: not a member, so
    # whether he was refused for that or for losing the race depended on who locked first).
    claimants = [org.teammate] + [
        make_user(f"east{n}", department=org.east, roles=["sales"]) for n in range(5)
    ]

    results, refusals = _race(
        [lambda user=user: pool_entry_claim(entry=entry, by=user) for user in claimants]
    )

    assert len(results) == 1
    assert refusals == ["customer"] * (len(claimants) - 1)
    assert PoolEvent.objects.filter(action=PoolEventAction.CLAIMED).count() == 1
    entry.refresh_from_db()
    assert entry.customer.owner == results[0].owner


def test_concurrent_claims_of_one_user_never_pass_the_held_limit(org):
    make_pool(org, rules={"prospect": {"max_held": 3, "max_claims_per_day": None}})
    entries = [pooled(org) for _ in range(8)]

    results, refusals = _race(
        [lambda entry=entry: pool_entry_claim(entry=entry, by=org.teammate) for entry in entries]
    )

    assert len(results) == 3
    assert refusals == ["max_held"] * 5
    assert PoolEntry.objects.filter(customer__owner=org.teammate).count() == 3


def test_concurrent_claims_of_one_user_never_pass_the_daily_limit(org):
    make_pool(org, rules={"prospect": {"max_held": None, "max_claims_per_day": 2}})
    entries = [pooled(org) for _ in range(6)]

    results, refusals = _race(
        [lambda entry=entry: pool_entry_claim(entry=entry, by=org.teammate) for entry in entries]
    )

    assert len(results) == 2
    assert refusals == ["max_claims_per_day"] * 4
