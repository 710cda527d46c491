"""Contract and order pages: scope (404 for outsiders, lists exclude, read-only 403), forms
with errors next to the field, the payment plan with its overdue badge, attachments through
the scoped view only, renewal, and the customer 360 card."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kehu.customers.services import customer_share_set
from kehu.sales.models import Contract, ContractStatus, Order, Payment
from kehu.sales.services.contracts import contract_attachment_add, payment_plan_add
from kehu.sales.tests.factories import make_contract, make_order

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _attach(contract, name="合同扫描件.pdf", body=b"%PDF-1.4 test"):
    return contract_attachment_add(
        contract=contract, by=contract.owner, upload=SimpleUploadedFile(name, body)
    )


# --- scope ----------------------------------------------------------------------------------
CONTRACT_PAGES = [
    "/sales/contracts/{c}/",
    "/sales/contracts/{c}/edit/",
    "/sales/contracts/{c}/renew/",
    "/sales/contracts/{c}/attachments/{a}/",
]


@pytest.mark.parametrize("path", CONTRACT_PAGES)
def test_outsider_gets_404_on_contract_pages(client, customer, outsider, media, path):
    contract = make_contract(customer=customer)
    attachment = _attach(contract)

    response = login(client, outsider).get(path.format(c=contract.pk, a=attachment.pk))

    assert response.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/sales/contracts/{c}/terminate/",
        "/sales/contracts/{c}/payments/",
        "/sales/payments/{p}/record/",
        "/sales/payments/{p}/delete/",
        "/sales/contracts/{c}/attachments/",
        "/sales/contracts/{c}/attachments/{a}/delete/",
    ],
)
def test_outsider_gets_404_posting_to_contract_actions_and_nothing_changes(
    client, customer, outsider, media, path
):
    contract = make_contract(customer=customer)
    payment = payment_plan_add(
        contract=contract, by=contract.owner, planned_on=dt.date(2026, 1, 1), planned_amount=10
    )
    attachment = _attach(contract)

    response = login(client, outsider).post(
        path.format(c=contract.pk, p=payment.pk, a=attachment.pk),
        {"reason": "x", "version": 1, "planned_on": "2026-02-01", "planned_amount": "5"},
    )

    assert response.status_code == 404
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
    assert Payment.objects.count() == 1
    assert contract.attachments.count() == 1


def test_outsider_lists_show_no_contracts_or_orders(client, customer, outsider):
    make_contract(customer=customer, title="保密合同")
    make_order(customer=customer, notes="保密订单")
    login(client, outsider)

    contracts = client.get("/sales/contracts/").content.decode()
    orders = client.get("/sales/orders/").content.decode()

    assert "保密合同" not in contracts
    assert "HT" not in contracts.split('id="contract-results"')[1]
    assert "DD" not in orders.split('id="order-results"')[1]


def test_outsider_gets_404_on_order_pages_and_customer_card(client, customer, outsider):
    order = make_order(customer=customer)
    login(client, outsider)

    assert client.get(f"/sales/orders/{order.pk}/").status_code == 404
    assert client.get(f"/sales/orders/{order.pk}/edit/").status_code == 404
    assert client.get(f"/sales/customers/{customer.pk}/contracts/").status_code == 404


def test_read_only_team_member_sees_but_cannot_edit_contract_or_order(
    client, owner, teammate, customer, media
):
    customer_share_set(customer=customer, user=teammate, access="read", by=owner)
    contract = make_contract(customer=customer)
    order = make_order(customer=customer)
    attachment = _attach(contract)
    login(client, teammate)

    page = client.get(f"/sales/contracts/{contract.pk}/")
    assert page.status_code == 200
    assert f"/sales/contracts/{contract.pk}/edit/" not in page.content.decode()
    assert (
        client.get(f"/sales/contracts/{contract.pk}/attachments/{attachment.pk}/").status_code
        == 200
    )
    assert client.get(f"/sales/contracts/{contract.pk}/edit/").status_code == 403
    assert client.get(f"/sales/contracts/{contract.pk}/renew/").status_code == 403
    assert (
        client.post(
            f"/sales/contracts/{contract.pk}/terminate/", {"reason": "x", "version": 1}
        ).status_code
        == 403
    )
    assert client.get(f"/sales/orders/{order.pk}/").status_code == 200
    assert client.get(f"/sales/orders/{order.pk}/edit/").status_code == 403
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE


# --- contract pages -------------------------------------------------------------------------
def test_owner_creates_a_contract_from_the_customer(client, owner, customer):
    login(client, owner)
    assert (
        customer.code
        in client.get(f"/sales/contracts/new/?customer={customer.pk}").content.decode()
    )

    response = client.post(
        "/sales/contracts/new/",
        {
            "customer_code": customer.code,
            "title": "年度维保",
            "amount": "120000",
            "currency": "CNY",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "status": "active",
            "owner": owner.pk,
        },
    )

    contract = Contract.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sales/contracts/{contract.pk}/"
    assert contract.number.startswith("HT")


def test_contract_form_shows_end_before_start_next_to_the_field(english, owner, customer):
    login(english, owner)

    response = english.post(
        "/sales/contracts/new/",
        {
            "customer_code": customer.code,
            "amount": "1000",
            "currency": "CNY",
            "starts_on": "2026-05-01",
            "ends_on": "2026-04-01",
            "status": "active",
            "owner": owner.pk,
        },
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "id_ends_on_error" in body
    assert "cannot end" in body
    assert not Contract.objects.exists()


def test_detail_shows_planned_vs_received_and_flags_overdue(english, owner, customer):
    contract = make_contract(customer=customer, amount=100000)
    today = timezone.localdate()
    payment_plan_add(
        contract=contract,
        by=owner,
        planned_on=today - dt.timedelta(days=10),
        planned_amount=Decimal(30000),
    )
    payment_plan_add(
        contract=contract,
        by=owner,
        planned_on=today + dt.timedelta(days=10),
        planned_amount=Decimal(20000),
    )
    login(english, owner)

    body = english.get(f"/sales/contracts/{contract.pk}/").content.decode()

    assert body.count('data-testid="payment-row"') == 2
    assert body.count('data-testid="overdue-badge"') == 1
    assert "¥50,000" in body  # planned total


def test_payment_over_the_contract_amount_is_refused_with_a_message(english, owner, customer):
    contract = make_contract(customer=customer, amount=1000)
    login(english, owner)

    response = english.post(
        f"/sales/contracts/{contract.pk}/payments/",
        {"planned_on": "2026-03-01", "planned_amount": "1500"},
        follow=True,
    )

    assert "more than the contract amount" in response.content.decode()
    assert not Payment.objects.exists()


def test_recording_a_receipt_clears_the_overdue_flag(client, owner, customer):
    contract = make_contract(customer=customer, amount=1000)
    payment = payment_plan_add(
        contract=contract, by=owner, planned_on=dt.date(2026, 1, 1), planned_amount=Decimal(400)
    )
    login(client, owner)

    client.post(
        f"/sales/payments/{payment.pk}/record/",
        {"received_amount": "400", "received_on": "2026-01-05", "version": 1},
    )

    payment.refresh_from_db()
    assert payment.received_amount == 400
    assert not payment.is_overdue(timezone.localdate())


def test_renewing_from_the_page_links_the_new_contract(client, owner, customer):
    contract = make_contract(customer=customer)
    login(client, owner)

    response = client.post(
        f"/sales/contracts/{contract.pk}/renew/",
        {
            "amount": "150000",
            "currency": "CNY",
            "starts_on": "2027-01-01",
            "ends_on": "2027-12-31",
            "version": 1,
        },
    )

    renewal = Contract.objects.get(renewal_of=contract)
    assert response["Location"] == f"/sales/contracts/{renewal.pk}/"
    contract.refresh_from_db()
    assert contract.status == ContractStatus.RENEWED
    page = client.get(f"/sales/contracts/{contract.pk}/").content.decode()
    assert 'data-testid="renewal-link"' in page


def test_stale_contract_edit_is_refused(english, owner, customer):
    from kehu.sales.services.contracts import contract_update

    contract = make_contract(customer=customer)
    contract_update(contract=contract, by=owner, data={"title": "别人改过"}, expected_version=1)
    login(english, owner)

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

    assert response.status_code == 200
    assert "Someone else saved this record" in response.content.decode()
    contract.refresh_from_db()
    assert contract.title == "别人改过"


def test_contract_list_filters_by_expiry_window(client, owner, customer):
    today = timezone.localdate()
    make_contract(
        customer=customer,
        title="即将到期",
        starts_on=today - dt.timedelta(days=100),
        ends_on=today + dt.timedelta(days=5),
    )
    make_contract(
        customer=customer,
        title="明年到期",
        starts_on=today,
        ends_on=today + dt.timedelta(days=300),
    )
    login(client, owner)

    body = client.get("/sales/contracts/?expiring_within=30").content.decode()

    assert "即将到期" in body
    assert "明年到期" not in body


def test_attachment_download_is_a_download_with_the_original_name(client, owner, customer, media):
    contract = make_contract(customer=customer)
    attachment = _attach(contract, name="<script>.pdf")
    login(client, owner)

    response = client.get(f"/sales/contracts/{contract.pk}/attachments/{attachment.pk}/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"


def test_attachment_of_another_contract_is_404(client, owner, customer, media):
    mine = make_contract(customer=customer)
    other = make_contract(customer=customer)
    attachment = _attach(other)
    login(client, owner)

    response = client.get(f"/sales/contracts/{mine.pk}/attachments/{attachment.pk}/")

    assert response.status_code == 404


def test_uploading_an_attachment_from_the_page(client, owner, customer, media):
    contract = make_contract(customer=customer)
    login(client, owner)

    client.post(
        f"/sales/contracts/{contract.pk}/attachments/",
        {"file": SimpleUploadedFile("签字版.pdf", b"%PDF-1")},
    )

    assert contract.attachments.get().original_name == "签字版.pdf"


# --- orders and the customer card -----------------------------------------------------------
def test_owner_records_an_order_with_lines(client, owner, customer):
    login(client, owner)

    response = client.post(
        "/sales/orders/new/",
        {
            "customer_code": customer.code,
            "ordered_on": "2026-03-01",
            "currency": "CNY",
            "status": "placed",
            "owner": owner.pk,
            "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product_name": "刀具",
            "lines-0-quantity": "2",
            "lines-0-unit_price": "150",
            "lines-1-product_name": "服务",
            "lines-1-quantity": "1",
            "lines-1-unit_price": "100",
        },
    )

    order = Order.objects.get()
    assert response["Location"] == f"/sales/orders/{order.pk}/"
    assert order.amount == 400
    assert order.lines.count() == 2


def test_order_line_error_is_shown_on_its_row(english, owner, customer):
    login(english, owner)

    response = english.post(
        "/sales/orders/new/",
        {
            "customer_code": customer.code,
            "ordered_on": "2026-03-01",
            "currency": "CNY",
            "status": "placed",
            "owner": owner.pk,
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product_name": "刀具",
            "lines-0-quantity": "0",
            "lines-0-unit_price": "150",
        },
    )

    assert response.status_code == 200
    assert "The quantity must be more than zero." in response.content.decode()
    assert not Order.objects.exists()


def test_customer_page_card_lists_contracts_and_orders(client, owner, customer):
    contract = make_contract(customer=customer)
    order = make_order(customer=customer)
    login(client, owner)

    page = client.get(f"/customers/{customer.pk}/").content.decode()
    card = client.get(
        f"/sales/customers/{customer.pk}/contracts/", HTTP_HX_REQUEST="true"
    ).content.decode()

    assert f"/sales/customers/{customer.pk}/contracts/" in page
    assert contract.number in card
    assert order.number in card
    assert f"/sales/contracts/new/?customer={customer.pk}" in card


def test_contract_list_query_count_does_not_grow_with_rows(
    client, owner, customer, django_assert_max_num_queries
):
    for _ in range(5):
        contract = make_contract(customer=customer)
        payment_plan_add(
            contract=contract, by=owner, planned_on=dt.date(2026, 2, 1), planned_amount=10
        )
    login(client, owner)
    client.get("/sales/contracts/")  # warm caches (session, rights)

    with django_assert_max_num_queries(15):
        assert client.get("/sales/contracts/").status_code == 200


def test_contract_detail_query_count_does_not_grow_with_payments(
    client, owner, customer, django_assert_max_num_queries
):
    contract = make_contract(customer=customer, amount=1000)
    for day in range(1, 9):
        payment_plan_add(
            contract=contract, by=owner, planned_on=dt.date(2026, 2, day), planned_amount=10
        )
    login(client, owner)
    client.get(f"/sales/contracts/{contract.pk}/")

    with django_assert_max_num_queries(20):
        assert client.get(f"/sales/contracts/{contract.pk}/").status_code == 200
