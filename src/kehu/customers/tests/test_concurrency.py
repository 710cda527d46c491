"""Concurrent customer creation gives unique codes (real threads, real PostgreSQL)."""

import threading

import pytest
from django.db import connection, connections

from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_customer

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL for truly concurrent writers"
)

THREADS = 8
PER_THREAD = 10


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_creation_gives_unique_gap_tolerant_codes(org):
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start.wait(timeout=30)
            for i in range(PER_THREAD):
                make_customer(owner=org.owner, name=f"并发测试{n:02d}{i:02d}科技有限公司")
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not failures, failures
    codes = list(Customer.objects.values_list("code", flat=True))
    assert len(codes) == THREADS * PER_THREAD
    assert len(set(codes)) == len(codes)
    serials = sorted(int(code[-5:]) for code in codes)
    assert serials == list(range(serials[0], serials[0] + len(serials)))
