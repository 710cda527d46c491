"""No lost updates: 50 editors save one record at once from the same version; exactly one wins,
every other is refused as stale, and the record holds the winner's edit (real threads, each
with its own PostgreSQL connection)."""

import threading

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from kehu.customers.models import Customer
from kehu.customers.services import StaleEditError, customer_update
from kehu.customers.tests.factories import make_customer

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers, so nothing would run concurrently",
)

EDITORS = 50


def _race(edit) -> tuple[list[int], list[int], list[BaseException]]:
    """Run `edit(n)` in EDITORS threads released together; (won, refused, unexpected)."""
    start = threading.Barrier(EDITORS)
    won: list[int] = []
    refused: list[int] = []
    unexpected: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start.wait(timeout=60)
            (won if edit(n) else refused).append(n)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            unexpected.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(EDITORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return won, refused, unexpected


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_concurrent_service_edits_one_wins_the_rest_are_refused(org):
    customer = make_customer(owner=org.owner, name="并发编辑测试科技有限公司")
    version = customer.version
    stale_seen: list[int] = []

    def edit(n: int) -> bool:
        copy = Customer.objects.get(pk=customer.pk)
        try:
            customer_update(
                customer=copy,
                by=org.owner,
                data={"remarks": f"editor {n}"},
                expected_version=version,
            )
        except StaleEditError as exc:
            stale_seen.append(exc.current.version)
            return False
        return True

    won, refused, unexpected = _race(edit)

    assert not unexpected, unexpected
    assert len(won) == 1
    assert len(refused) == EDITORS - 1
    final = Customer.objects.get(pk=customer.pk)
    assert final.version == version + 1
    assert final.remarks == f"editor {won[0]}"
    assert set(stale_seen) == {version + 1}  # each refusal saw the winner's version


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_concurrent_api_edits_one_wins_the_rest_get_409(org):
    customer = make_customer(owner=org.owner, name="并发接口测试科技有限公司")
    version = customer.version
    url = f"/api/v1/customers/{customer.pk}/"

    def edit(n: int) -> bool:
        client = APIClient()
        client.force_authenticate(org.owner)
        response = client.patch(
            url, {"remarks": f"api editor {n}", "version": version}, format="json"
        )
        if response.status_code == 409:
            body = response.json()
            assert body["code"] == "stale"
            assert body["current_version"] == version + 1
            return False
        assert response.status_code == 200, response.content
        return True

    won, refused, unexpected = _race(edit)

    assert not unexpected, unexpected
    assert len(won) == 1
    assert len(refused) == EDITORS - 1
    final = Customer.objects.get(pk=customer.pk)
    assert final.version == version + 1
    assert final.remarks == f"api editor {won[0]}"
