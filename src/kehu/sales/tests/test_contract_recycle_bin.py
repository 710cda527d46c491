"""Contracts, instalments, attachments and orders: a stale edit shows what the other user
changed (page and API 409), and deleting goes through the recycle bin, in the customer's
scope, and can be restored with what went along."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from kehu.customers.services import customer_share_set
from kehu.recyclebin.models import DeletedRecord
from kehu.recyclebin.services import recyclebin_restore
from kehu.sales.models import Contract, ContractAttachment, Order, OrderLine, Payment
from kehu.sales.services.contracts import (
    contract_attachment_add,
    contract_attachment_delete,
    contract_delete,
    contract_renew,
    contract_update,
    payment_delete,
    payment_plan_add,
    payment_update,
)
from kehu.sales.services.orders import order_create, order_delete, order_update
from kehu.sales.tests.factories import make_contract, make_order

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _payment(contract, amount=1000, received=0):
    return payment_plan_add(
        contract=contract,
        by=contract.owner,
        planned_on=dt.date(2026, 1, 1),
        planned_amount=Decimal(amount),
        received_on=dt.date(2026, 1, 2) if received else None,
        received_amount=Decimal(received),
    )


def _attach(contract):
    return contract_attachment_add(
        contract=contract,
        by=contract.owner,
        upload=SimpleUploadedFile("合同扫描件.pdf", b"%PDF-1.4 test"),
    )


# --- stale edits show what changed ----------------------------------------------------------
def test_stale_contract_edit_on_the_page_shows_the_other_users_change(
    english, owner, teammate, customer
):
    customer_share_set(customer=customer, user=teammate, access="write", by=owner)
    contract = make_contract(customer=customer, title="原标题")
    contract_update(
        contract=contract, by=teammate, data={"title": "李四改的标题"}, expected_version=1
    )
    english.force_login(owner)

    response = english.post(
        f"/sales/contracts/{contract.pk}/edit/",
        {
            "title": "我的修改",
            "number": contract.number,
            "amount": "100000",
            "currency": "CNY",
            "starts_on": "2026-01-10",
            "ends_on": "2026-12-31",
            "status": "active",
            "owner": owner.pk,
            "version": 1,
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="stale-changes"' in page
    assert "Saved by 李四 after you opened this form" in page
    assert "原标题" in page
    assert "李四改的标题" in page
    contract.refresh_from_db()
    assert contract.title == "李四改的标题"


def test_stale_order_edit_on_the_page_shows_the_other_users_change(
    english, owner, teammate, customer
):
    customer_share_set(customer=customer, user=teammate, access="write", by=owner)
    order = make_order(customer=customer)
    order_update(order=order, by=teammate, data={"notes": "李四的备注"}, expected_version=1)
    english.force_login(owner)
    line = order.lines.first()

    response = english.post(
        f"/sales/orders/{order.pk}/edit/",
        {
            "customer_code": customer.code,
            "number": order.number,
            "ordered_on": order.ordered_on.isoformat(),
            "currency": order.currency,
            "status": order.status,
            "owner": owner.pk,
            "notes": "我的备注",
            "version": 1,
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product_name": line.product_name,
            "lines-0-quantity": str(line.quantity),
            "lines-0-unit_price": str(line.unit_price),
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Saved by 李四 after you opened this form" in page
    assert "李四的备注" in page
    order.refresh_from_db()
    assert order.notes == "李四的备注"


def test_stale_contract_update_409_lists_who_changed_which_field(owner, teammate, customer):
    customer_share_set(customer=customer, user=teammate, access="write", by=owner)
    contract = make_contract(customer=customer, title="原标题")
    contract_update(
        contract=contract, by=teammate, data={"title": "李四改的标题"}, expected_version=1
    )

    response = api(owner).patch(
        f"/api/v1/contracts/{contract.pk}/", {"title": "我的修改", "version": 1}, format="json"
    )

    body = response.json()
    assert response.status_code == 409
    assert body["changed_by"] == teammate.display_name
    assert body["changed_at"]
    assert [(c["before"], c["after"]) for c in body["changes"]] == [("原标题", "李四改的标题")]
    assert body["current"]["title"] == "李四改的标题"


def test_stale_payment_and_order_updates_409_list_the_changes(owner, teammate, customer):
    customer_share_set(customer=customer, user=teammate, access="write", by=owner)
    payment = _payment(make_contract(customer=customer))
    payment_update(payment=payment, by=teammate, data={"notes": "李四"}, expected_version=1)
    order = make_order(customer=customer)
    order_update(order=order, by=teammate, data={"notes": "李四"}, expected_version=1)
    client = api(owner)

    paid = client.patch(f"/api/v1/payments/{payment.pk}/", {"notes": "我", "version": 1})
    ordered = client.patch(f"/api/v1/orders/{order.pk}/", {"notes": "我", "version": 1})

    for response in (paid, ordered):
        assert response.status_code == 409
        assert response.json()["changed_by"] == teammate.display_name
        assert [c["after"] for c in response.json()["changes"]] == ["李四"]


# --- deletes go through the recycle bin -----------------------------------------------------
def test_deleted_contract_is_restored_from_the_bin_with_its_payments_and_attachments(
    owner, customer, media
):
    contract = make_contract(customer=customer)
    planned = _payment(contract, amount=1000)
    received = _payment(contract, amount=2000, received=2000)
    attachment = _attach(contract)
    order = order_create(
        by=owner,
        customer=customer,
        data={"ordered_on": dt.date(2026, 3, 1)},
        lines=[{"product_name": "数控刀具套装", "quantity": 1, "unit_price": 100}],
        contract=contract,
    )

    contract_id = contract.pk

    contract_delete(contract=contract, by=owner)

    assert not Contract.objects.filter(pk=contract_id).exists()
    assert not Payment.objects.exists()
    order.refresh_from_db()
    assert order.contract_id is None
    item = DeletedRecord.objects.get(model="sales.contract")
    assert item.customer_id == customer.pk
    assert DeletedRecord.objects.visible_to(owner).filter(pk=item.pk).exists()

    restored = recyclebin_restore(item=item, by=owner)

    assert restored.pk == contract_id
    assert sorted(Payment.objects.filter(contract=restored).values_list("pk", flat=True)) == [
        planned.pk,
        received.pk,
    ]
    assert Payment.objects.get(pk=received.pk).received_amount == Decimal(2000)
    kept = ContractAttachment.objects.get(pk=attachment.pk)
    assert kept.file.read() == b"%PDF-1.4 test"
    order.refresh_from_db()
    assert order.contract_id == contract_id


def test_contract_delete_from_the_page_goes_to_the_bin(client, owner, customer):
    contract = make_contract(customer=customer)
    client.force_login(owner)

    response = client.post(f"/sales/contracts/{contract.pk}/delete/")

    assert response.status_code == 302
    assert not Contract.objects.filter(pk=contract.pk).exists()
    assert DeletedRecord.objects.filter(model="sales.contract", object_id=str(contract.pk))


def test_a_renewed_contract_is_not_deleted_while_its_renewal_exists(english, owner, customer):
    contract = make_contract(customer=customer)
    contract_renew(
        contract=contract, by=owner, data={"ends_on": dt.date(2027, 12, 31)}, expected_version=1
    )
    english.force_login(owner)

    response = english.post(f"/sales/contracts/{contract.pk}/delete/", follow=True)

    assert "cannot be deleted" in response.content.decode()
    assert Contract.objects.filter(pk=contract.pk).exists()
    assert not DeletedRecord.objects.exists()


def test_outsider_and_read_only_member_cannot_delete_contracts_or_orders(
    client, owner, teammate, outsider, customer
):
    customer_share_set(customer=customer, user=teammate, access="read", by=owner)
    contract = make_contract(customer=customer)
    order = make_order(customer=customer)

    client.force_login(outsider)
    assert client.post(f"/sales/contracts/{contract.pk}/delete/").status_code == 404
    assert client.post(f"/sales/orders/{order.pk}/delete/").status_code == 404
    assert api(outsider).delete(f"/api/v1/contracts/{contract.pk}/").status_code == 404
    assert api(outsider).delete(f"/api/v1/orders/{order.pk}/").status_code == 404
    client.force_login(teammate)
    assert client.post(f"/sales/contracts/{contract.pk}/delete/").status_code == 403
    assert client.post(f"/sales/orders/{order.pk}/delete/").status_code == 403
    assert api(teammate).delete(f"/api/v1/contracts/{contract.pk}/").status_code == 403
    assert api(teammate).delete(f"/api/v1/orders/{order.pk}/").status_code == 403

    assert Contract.objects.filter(pk=contract.pk).exists()
    assert Order.objects.filter(pk=order.pk).exists()
    assert not DeletedRecord.objects.exists()


def test_deleted_order_is_restored_with_its_lines(owner, customer):
    order = make_order(customer=customer)
    lines = list(order.lines.values_list("pk", "amount"))

    response = api(owner).delete(f"/api/v1/orders/{order.pk}/")

    assert response.status_code == 204
    assert not OrderLine.objects.exists()
    item = DeletedRecord.objects.get(model="sales.order")
    recyclebin_restore(item=item, by=owner)
    assert list(Order.objects.get(pk=order.pk).lines.values_list("pk", "amount")) == lines


def test_deleted_instalment_and_attachment_are_in_the_customers_bin_scope(
    owner, teammate, outsider, customer, media
):
    customer_share_set(customer=customer, user=teammate, access="read", by=owner)
    contract = make_contract(customer=customer)
    payment = _payment(contract)
    payment_id = payment.pk
    attachment = _attach(contract)
    attachment_id = attachment.pk

    payment_delete(payment=payment, by=owner)
    api(owner).delete(f"/api/v1/payments/{_payment(contract, amount=5).pk}/")
    contract_attachment_delete(attachment=attachment, by=owner)

    items = DeletedRecord.objects.filter(customer_id=customer.pk)
    assert sorted(items.values_list("model", flat=True)) == [
        "sales.contractattachment",
        "sales.payment",
        "sales.payment",
    ]
    assert DeletedRecord.objects.visible_to(teammate).count() == 3
    assert not DeletedRecord.objects.visible_to(outsider).exists()
    binned_payment = items.get(model="sales.payment", object_id=str(payment_id))
    restored = recyclebin_restore(item=binned_payment, by=owner)
    assert restored.contract_id == contract.pk
    recyclebin_restore(item=items.get(model="sales.contractattachment"), by=owner)
    assert ContractAttachment.objects.get(pk=attachment_id).file.read() == b"%PDF-1.4 test"


def test_instalment_with_money_received_is_not_deleted(owner, customer):
    payment = _payment(make_contract(customer=customer), received=1000)

    with pytest.raises(ValidationError, match="cannot be deleted"):
        payment_delete(payment=payment, by=owner)

    assert Payment.objects.filter(pk=payment.pk).exists()
    assert not DeletedRecord.objects.exists()


def test_order_delete_is_refused_to_whoever_may_not_edit_the_customer(owner, teammate, customer):
    order = make_order(customer=customer)

    with pytest.raises(PermissionDenied):
        order_delete(order=order, by=teammate)
    assert Order.objects.filter(pk=order.pk).exists()


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read the English wording of messages; the default language is zh-hans."""
    from django.utils import translation

    with translation.override("en"):
        yield
