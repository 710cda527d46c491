"""Contract, payment and order API: scope (404 for outsiders, lists exclude, 403 read-only),
create/update with the rules answering 400 naming the field and writing nothing, renewal,
409 on a stale version, and the endpoints in the OpenAPI schema."""

import datetime as dt
from decimal import Decimal

import pytest
import yaml
from rest_framework.test import APIClient

from kehu.customers.services import customer_share_set
from kehu.sales.models import Contract, ContractStatus, Order, Payment
from kehu.sales.services.contracts import payment_plan_add
from kehu.sales.tests.factories import make_contract, make_order

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _payment(contract, amount=1000, on=dt.date(2026, 1, 1)):
    return payment_plan_add(
        contract=contract, by=contract.owner, planned_on=on, planned_amount=Decimal(amount)
    )


# --- scope ----------------------------------------------------------------------------------
def test_outsider_gets_404_and_empty_lists(customer, outsider):
    contract = make_contract(customer=customer)
    payment = _payment(contract)
    order = make_order(customer=customer)
    client = api(outsider)

    assert client.get(f"/api/v1/contracts/{contract.pk}/").status_code == 404
    assert client.get(f"/api/v1/payments/{payment.pk}/").status_code == 404
    assert client.get(f"/api/v1/orders/{order.pk}/").status_code == 404
    assert client.get("/api/v1/contracts/").json()["count"] == 0
    assert client.get("/api/v1/payments/").json()["count"] == 0
    assert client.get("/api/v1/orders/").json()["count"] == 0


def test_outsider_cannot_write_and_nothing_changes(customer, outsider):
    contract = make_contract(customer=customer)
    payment = _payment(contract)
    order = make_order(customer=customer)
    client = api(outsider)

    assert (
        client.patch(
            f"/api/v1/contracts/{contract.pk}/", {"title": "x", "version": 1}, format="json"
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/contracts/{contract.pk}/renew/",
            {"ends_on": "2027-12-31", "version": 1},
            format="json",
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/contracts/{contract.pk}/terminate/",
            {"reason": "x", "version": 1},
            format="json",
        ).status_code
        == 404
    )
    assert (
        client.patch(
            f"/api/v1/payments/{payment.pk}/", {"received_amount": "1", "version": 1}, format="json"
        ).status_code
        == 404
    )
    assert client.delete(f"/api/v1/payments/{payment.pk}/").status_code == 404
    assert (
        client.patch(
            f"/api/v1/orders/{order.pk}/", {"notes": "x", "version": 1}, format="json"
        ).status_code
        == 404
    )
    created = client.post(
        "/api/v1/payments/",
        {"contract": contract.pk, "planned_on": "2026-02-01", "planned_amount": "1"},
        format="json",
    )
    assert created.status_code == 400
    assert "contract" in created.json()
    contract.refresh_from_db()
    assert contract.version == 1
    assert contract.status == ContractStatus.ACTIVE
    assert Payment.objects.count() == 1


def test_read_only_team_member_reads_but_gets_403_on_writes(owner, teammate, customer):
    customer_share_set(customer=customer, user=teammate, access="read", by=owner)
    contract = make_contract(customer=customer)
    payment = _payment(contract)
    order = make_order(customer=customer)
    client = api(teammate)

    assert client.get(f"/api/v1/contracts/{contract.pk}/").status_code == 200
    assert (
        client.patch(
            f"/api/v1/contracts/{contract.pk}/", {"title": "x", "version": 1}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.patch(
            f"/api/v1/payments/{payment.pk}/", {"notes": "x", "version": 1}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.patch(
            f"/api/v1/orders/{order.pk}/", {"notes": "x", "version": 1}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/contracts/",
            {
                "customer": customer.pk,
                "amount": "1",
                "starts_on": "2026-01-01",
                "ends_on": "2026-02-01",
            },
            format="json",
        ).status_code
        == 403
    )
    assert Contract.objects.count() == 1


# --- contracts ------------------------------------------------------------------------------
def test_create_contract_and_read_it_back(owner, customer):
    client = api(owner)

    response = client.post(
        "/api/v1/contracts/",
        {
            "customer": customer.pk,
            "title": "年度维保",
            "amount": "88000.00",
            "currency": "USD",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
        },
        format="json",
    )

    body = response.json()
    assert response.status_code == 201
    assert body["number"].startswith("HT")
    assert body["currency"] == "USD"
    assert body["payments"] == []
    assert body["planned_total"] == "0"


def test_create_contract_ending_before_start_answers_400_naming_the_field(owner, customer):
    response = api(owner).post(
        "/api/v1/contracts/",
        {
            "customer": customer.pk,
            "amount": "1000",
            "starts_on": "2026-05-01",
            "ends_on": "2026-04-01",
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert "cannot end" in response.json()["ends_on"][0]
    assert not Contract.objects.exists()


def test_stale_contract_update_answers_409_with_the_current_record(owner, customer):
    contract = make_contract(customer=customer)
    client = api(owner)
    assert (
        client.patch(
            f"/api/v1/contracts/{contract.pk}/", {"title": "一", "version": 1}, format="json"
        ).status_code
        == 200
    )

    response = client.patch(
        f"/api/v1/contracts/{contract.pk}/", {"title": "二", "version": 1}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["current"]["title"] == "一"
    assert response.json()["current_version"] == 2
    assert response.json()["changed_by"] == owner.display_name
    assert [c["after"] for c in response.json()["changes"]] == ["一"]


def test_renew_answers_the_new_contract_linked_to_the_old(owner, customer):
    contract = make_contract(customer=customer)

    response = api(owner).post(
        f"/api/v1/contracts/{contract.pk}/renew/",
        {"ends_on": "2027-12-31", "version": 1},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["renewal_of"]["id"] == contract.pk
    contract.refresh_from_db()
    assert contract.status == ContractStatus.RENEWED


def test_contract_list_filters_overdue(owner, customer):
    late = make_contract(customer=customer)
    _payment(late, on=dt.date(2020, 1, 1))
    make_contract(customer=customer)

    body = api(owner).get("/api/v1/contracts/?overdue=true").json()

    assert [c["id"] for c in body["results"]] == [late.pk]


# --- payments -------------------------------------------------------------------------------
def test_payment_over_contract_amount_answers_400_and_writes_nothing(owner, customer):
    contract = make_contract(customer=customer, amount=1000)
    _payment(contract, amount=800)

    response = api(owner).post(
        "/api/v1/payments/",
        {"contract": contract.pk, "planned_on": "2026-02-01", "planned_amount": "300"},
        format="json",
    )

    assert response.status_code == 400
    assert "planned_amount" in response.json()
    assert Payment.objects.count() == 1


def test_recording_received_money_and_overdue_flag(owner, customer):
    contract = make_contract(customer=customer, amount=1000)
    payment = _payment(contract, amount=400, on=dt.date(2026, 1, 1))
    client = api(owner)
    assert client.get(f"/api/v1/payments/{payment.pk}/").json()["is_overdue"] is True
    assert client.get("/api/v1/payments/?overdue=true").json()["count"] == 1

    response = client.patch(
        f"/api/v1/payments/{payment.pk}/",
        {"received_amount": "400", "received_on": "2026-01-03", "version": 1},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["is_overdue"] is False
    assert client.get("/api/v1/payments/?overdue=true").json()["count"] == 0


def test_stale_payment_update_answers_409(owner, customer):
    payment = _payment(make_contract(customer=customer))
    client = api(owner)
    client.patch(f"/api/v1/payments/{payment.pk}/", {"notes": "a", "version": 1}, format="json")

    response = client.patch(
        f"/api/v1/payments/{payment.pk}/", {"notes": "b", "version": 1}, format="json"
    )

    assert response.status_code == 409
    payment.refresh_from_db()
    assert payment.notes == "a"


# --- orders ---------------------------------------------------------------------------------
def test_create_order_with_lines(owner, customer):
    response = api(owner).post(
        "/api/v1/orders/",
        {
            "customer": customer.pk,
            "ordered_on": "2026-03-01",
            "lines": [
                {"product_name": "刀具", "sku": "DJ-1", "quantity": "2", "unit_price": "99.50"},
                {"product_name": "服务", "quantity": "1", "unit_price": "1"},
            ],
        },
        format="json",
    )

    body = response.json()
    assert response.status_code == 201
    assert body["amount"] == "200.00"
    assert len(body["lines"]) == 2


def test_order_bad_line_answers_400_with_its_index(owner, customer):
    response = api(owner).post(
        "/api/v1/orders/",
        {
            "customer": customer.pk,
            "ordered_on": "2026-03-01",
            "lines": [
                {"product_name": "刀具", "quantity": "1", "unit_price": "1"},
                {"product_name": "刀具", "quantity": "-1", "unit_price": "1"},
            ],
        },
        format="json",
    )

    assert response.status_code == 400
    assert "lines.1.quantity" in response.json()
    assert not Order.objects.exists()


def test_orders_filter_by_customer(owner, customer):
    make_order(customer=customer)

    body = api(owner).get(f"/api/v1/orders/?customer={customer.pk}").json()

    assert body["count"] == 1
    assert body["results"][0]["lines"][0]["product_name"] == "数控刀具套装"


# --- schema ---------------------------------------------------------------------------------
def test_schema_includes_the_contract_payment_and_order_endpoints(owner):
    response = api(owner).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")

    paths = yaml.safe_load(response.content)["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/contracts/"])
    assert {"get", "put", "patch"} <= set(paths["/api/v1/contracts/{id}/"])
    assert "post" in paths["/api/v1/contracts/{id}/renew/"]
    assert "post" in paths["/api/v1/contracts/{id}/terminate/"]
    assert {"get", "post"} <= set(paths["/api/v1/payments/"])
    assert {"get", "put", "patch", "delete"} <= set(paths["/api/v1/payments/{id}/"])
    assert {"get", "post"} <= set(paths["/api/v1/orders/"])
    assert {"get", "put", "patch"} <= set(paths["/api/v1/orders/{id}/"])
    assert "409" in paths["/api/v1/contracts/{id}/"]["patch"]["responses"]


def test_contract_list_query_count_does_not_grow_with_rows(
    owner, customer, django_assert_max_num_queries
):
    for _ in range(6):
        contract = make_contract(customer=customer)
        _payment(contract, amount=10)
    client = api(owner)
    client.get("/api/v1/contracts/")  # warm caches (rights)

    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/contracts/").json()["count"] == 6
