"""Contract, payment and order services against the database: validation with nothing written
on refusal, renewal, stale edits, scope, and the daily checks (expiry notices, overdue)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from kehu.core.access import access_contract, access_order, access_payment
from kehu.customers.services import StaleEditError
from kehu.interactions.models import Notification
from kehu.sales import selectors
from kehu.sales.models import Contract, ContractStatus, Order, OrderLine, Payment
from kehu.sales.services.contracts import (
    contract_attachment_add,
    contract_create,
    contract_renew,
    contract_terminate,
    contract_update,
    contracts_mark_expired,
    contracts_send_expiry_notices,
    payment_plan_add,
    payment_record,
    payments_notify_overdue,
)
from kehu.sales.services.orders import order_create, order_update
from kehu.sales.tests.factories import make_contract, make_opportunity, make_order

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 24)


def _plan(contract, amount, on=dt.date(2026, 3, 1), by=None, **kwargs):
    return payment_plan_add(
        contract=contract,
        by=by or contract.owner,
        planned_on=on,
        planned_amount=Decimal(str(amount)),
        **kwargs,
    )


# --- contracts ------------------------------------------------------------------------------
def test_contract_gets_an_ht_number_and_the_owners_department(customer, org):
    contract = make_contract(customer=customer)

    assert contract.number.startswith("HT")
    assert len(contract.number) == 13
    assert contract.department == org.east
    assert contract.status == ContractStatus.ACTIVE
    assert contract.currency == "CNY"


def test_contract_number_given_by_hand_is_kept_and_must_be_unique(customer):
    make_contract(customer=customer, number="ht-2025-001")

    with pytest.raises(ValidationError) as error:
        make_contract(customer=customer, number="HT-2025-001")

    assert "number" in error.value.message_dict
    assert Contract.objects.get().number == "HT-2025-001"


def test_contract_ending_before_it_starts_is_refused_and_nothing_is_written(customer):
    with pytest.raises(ValidationError) as error:
        make_contract(
            customer=customer, starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2026, 4, 30)
        )

    assert "ends_on" in error.value.message_dict
    assert "before it starts" in error.value.message_dict["ends_on"][0]
    assert not Contract.objects.exists()


def test_negative_contract_amount_is_refused(customer):
    with pytest.raises(ValidationError) as error:
        make_contract(customer=customer, amount=-1)

    assert "amount" in error.value.message_dict


def test_contract_opportunity_must_be_of_the_same_customer(customer, owner):
    from kehu.customers.tests.factories import make_customer

    other = make_customer(owner=owner, name="杭州西湖电子商务有限公司")
    opportunity = make_opportunity(customer=other)

    with pytest.raises(ValidationError) as error:
        contract_create(
            by=owner,
            customer=customer,
            data={"amount": 1, "starts_on": TODAY, "ends_on": TODAY},
            opportunity=opportunity,
        )

    assert "opportunity" in error.value.message_dict


def test_outsider_cannot_create_a_contract_on_a_customer_they_cannot_edit(customer, outsider):
    with pytest.raises(PermissionDenied):
        make_contract(customer=customer, by=outsider, owner=outsider)
    assert not Contract.objects.exists()


def test_contract_update_with_stale_version_is_refused(customer, owner):
    contract = make_contract(customer=customer)
    contract_update(contract=contract, by=owner, data={"title": "一"}, expected_version=1)

    with pytest.raises(StaleEditError):
        contract_update(contract=contract, by=owner, data={"title": "二"}, expected_version=1)

    assert Contract.objects.get().title == "一"


def test_contract_update_end_before_start_is_refused_and_nothing_changes(customer, owner):
    contract = make_contract(customer=customer)

    with pytest.raises(ValidationError) as error:
        contract_update(
            contract=contract,
            by=owner,
            data={"ends_on": dt.date(2025, 1, 1), "title": "改"},
            expected_version=contract.version,
        )

    assert "ends_on" in error.value.message_dict
    contract.refresh_from_db()
    assert contract.ends_on == dt.date(2026, 12, 31)
    assert contract.title == "MES 系统实施合同"
    assert contract.version == 1


def test_renewal_links_to_the_old_contract_and_marks_it_renewed(customer, owner):
    old = make_contract(customer=customer)

    renewal = contract_renew(
        contract=old, by=owner, data={"ends_on": dt.date(2027, 12, 31)}, expected_version=1
    )

    old.refresh_from_db()
    assert renewal.renewal_of == old
    assert old.status == ContractStatus.RENEWED
    assert renewal.status == ContractStatus.ACTIVE
    assert renewal.starts_on == dt.date(2027, 1, 1)
    assert renewal.amount == old.amount
    assert renewal.customer == customer
    assert renewal.number != old.number


def test_renewed_contract_cannot_be_renewed_again_or_edited(customer, owner):
    old = make_contract(customer=customer)
    contract_renew(
        contract=old, by=owner, data={"ends_on": dt.date(2027, 12, 31)}, expected_version=1
    )
    old.refresh_from_db()

    with pytest.raises(ValidationError) as error:
        contract_renew(
            contract=old, by=owner, data={"ends_on": dt.date(2028, 12, 31)}, expected_version=2
        )
    assert "status" in error.value.message_dict
    with pytest.raises(ValidationError):
        contract_update(contract=old, by=owner, data={"title": "x"}, expected_version=2)
    assert Contract.objects.count() == 2


def test_renewal_with_bad_dates_leaves_the_old_contract_running(customer, owner):
    old = make_contract(customer=customer)

    with pytest.raises(ValidationError) as error:
        contract_renew(
            contract=old, by=owner, data={"ends_on": dt.date(2026, 6, 1)}, expected_version=1
        )

    assert "ends_on" in error.value.message_dict
    old.refresh_from_db()
    assert old.status == ContractStatus.ACTIVE
    assert Contract.objects.count() == 1


def test_terminating_needs_a_reason(customer, owner):
    contract = make_contract(customer=customer)

    with pytest.raises(ValidationError) as error:
        contract_terminate(contract=contract, by=owner, reason=" ", expected_version=1)
    assert "termination_reason" in error.value.message_dict

    done = contract_terminate(contract=contract, by=owner, reason="客户破产", expected_version=1)
    assert done.status == ContractStatus.TERMINATED


def test_read_only_team_member_sees_but_cannot_change_a_contract(customer, owner, teammate):
    from kehu.customers.services import customer_share_set

    customer_share_set(customer=customer, user=teammate, access="read", by=owner)
    contract = make_contract(customer=customer)

    assert access_contract(teammate, contract.pk) == contract
    with pytest.raises(PermissionDenied):
        access_contract(teammate, contract.pk, write=True)
    with pytest.raises(PermissionDenied):
        contract_update(contract=contract, by=teammate, data={"title": "x"}, expected_version=1)
    with pytest.raises(PermissionDenied):
        _plan(contract, 10, by=teammate)
    assert Contract.objects.get().version == 1
    assert not Payment.objects.exists()


def test_contract_owner_who_cannot_edit_the_customer_still_edits_the_contract(
    customer, owner, teammate
):
    from kehu.customers.services import customer_share_set

    customer_share_set(customer=customer, user=teammate, access="read", by=owner)
    contract = make_contract(customer=customer, owner=teammate)

    updated = contract_update(
        contract=contract, by=teammate, data={"title": "新"}, expected_version=1
    )
    assert updated.title == "新"


def test_outsider_sees_no_contract_payment_or_order(customer, outsider):
    contract = make_contract(customer=customer)
    payment = _plan(contract, 1000)
    order = make_order(customer=customer)

    with pytest.raises(Http404):
        access_contract(outsider, contract.pk)
    with pytest.raises(Http404):
        access_payment(outsider, payment.pk)
    with pytest.raises(Http404):
        access_order(outsider, order.pk)
    assert not selectors.contract_list(user=outsider).exists()
    assert not selectors.payments_overdue(user=outsider, today=TODAY).exists()
    assert not selectors.orders_of_customer(user=outsider, customer=customer).exists()
    assert not selectors.contracts_expiring(user=outsider, within_days=3650).exists()


# --- payments -------------------------------------------------------------------------------
def test_planned_payments_over_the_contract_amount_are_refused_and_nothing_is_written(customer):
    contract = make_contract(customer=customer, amount=100000)
    _plan(contract, 60000)

    with pytest.raises(ValidationError) as error:
        _plan(contract, 40000.01)

    assert "planned_amount" in error.value.message_dict
    assert "more than the contract amount" in error.value.message_dict["planned_amount"][0]
    assert Payment.objects.count() == 1
    _plan(contract, 40000)  # exactly the rest is fine
    assert Payment.objects.count() == 2


def test_receiving_more_than_the_contract_amount_is_refused(customer, owner):
    contract = make_contract(customer=customer, amount=1000)
    first = _plan(contract, 600)
    second = _plan(contract, 400)
    payment_record(
        payment=first,
        by=owner,
        received_amount=Decimal(900),
        received_on=dt.date(2026, 3, 2),
        expected_version=1,
    )

    with pytest.raises(ValidationError) as error:
        payment_record(
            payment=second,
            by=owner,
            received_amount=Decimal(200),
            received_on=dt.date(2026, 3, 2),
            expected_version=1,
        )

    assert "received_amount" in error.value.message_dict
    second.refresh_from_db()
    assert second.received_amount == 0
    assert second.version == 1


def test_payment_record_with_stale_version_is_refused(customer, owner):
    payment = _plan(make_contract(customer=customer), 500)
    payment_record(
        payment=payment,
        by=owner,
        received_amount=Decimal(100),
        received_on=TODAY,
        expected_version=1,
    )

    with pytest.raises(StaleEditError):
        payment_record(
            payment=payment,
            by=owner,
            received_amount=Decimal(500),
            received_on=TODAY,
            expected_version=1,
        )
    payment.refresh_from_db()
    assert payment.received_amount == 100


def test_received_amount_needs_a_date_not_in_the_future(customer, owner):
    payment = _plan(make_contract(customer=customer), 500)

    with pytest.raises(ValidationError) as error:
        payment_record(
            payment=payment,
            by=owner,
            received_amount=Decimal(100),
            received_on=None,
            expected_version=1,
        )
    assert "received_on" in error.value.message_dict
    with pytest.raises(ValidationError):
        payment_record(
            payment=payment,
            by=owner,
            received_amount=Decimal(100),
            received_on=timezone.localdate() + dt.timedelta(days=3),
            expected_version=1,
        )


def test_lowering_the_contract_amount_below_the_plan_is_refused(customer, owner):
    contract = make_contract(customer=customer, amount=1000)
    _plan(contract, 800)

    with pytest.raises(ValidationError) as error:
        contract_update(contract=contract, by=owner, data={"amount": 700}, expected_version=1)

    assert "amount" in error.value.message_dict
    assert Contract.objects.get().amount == 1000


def test_overdue_is_planned_before_today_and_not_fully_received(customer, owner, manager):
    contract = make_contract(customer=customer, amount=1000)
    late = _plan(contract, 300, on=dt.date(2026, 10, 1))
    paid = _plan(contract, 300, on=dt.date(2026, 10, 2))
    payment_record(
        payment=paid,
        by=owner,
        received_amount=Decimal(300),
        received_on=dt.date(2026, 10, 2),
        expected_version=1,
    )
    _plan(contract, 300, on=dt.date(2026, 12, 1))  # not due yet

    overdue = selectors.payments_overdue(user=manager, today=TODAY)

    assert list(overdue) == [late]
    paid.refresh_from_db()
    assert late.is_overdue(TODAY)
    assert not paid.is_overdue(TODAY)


def test_overdue_owner_is_told_once(customer, owner):
    contract = make_contract(customer=customer, amount=1000)
    _plan(contract, 300, on=dt.date(2026, 10, 1))

    assert payments_notify_overdue(today=TODAY) == 1
    assert payments_notify_overdue(today=TODAY) == 0
    assert Notification.objects.filter(recipient=owner).count() == 1


# --- expiry ---------------------------------------------------------------------------------
def test_expiry_notice_is_sent_once_within_the_window(customer, owner, settings):
    settings.KEHU_CONTRACT_EXPIRY_NOTICE_DAYS = 30
    owner.email = "owner@example.com"
    owner.save()
    make_contract(customer=customer, ends_on=dt.date(2026, 12, 20))
    make_contract(customer=customer, ends_on=dt.date(2027, 6, 30))  # outside the window

    assert contracts_send_expiry_notices(today=dt.date(2026, 11, 1)) == 0  # 49 days ahead
    assert contracts_send_expiry_notices(today=TODAY) == 1
    assert contracts_send_expiry_notices(today=TODAY) == 0
    assert contracts_send_expiry_notices(today=TODAY + dt.timedelta(days=5)) == 0

    notice = Notification.objects.get(recipient=owner)
    assert "26" in notice.title  # days left
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@example.com"]


def test_a_new_end_date_opens_a_new_expiry_window(customer, owner):
    contract = make_contract(customer=customer, ends_on=dt.date(2026, 12, 1))
    assert contracts_send_expiry_notices(today=TODAY, within_days=30) == 1

    contract_update(
        contract=contract, by=owner, data={"ends_on": dt.date(2026, 12, 10)}, expected_version=1
    )

    assert contracts_send_expiry_notices(today=TODAY, within_days=30) == 1
    assert contracts_send_expiry_notices(today=TODAY, within_days=30) == 0


def test_contracts_past_their_end_become_expired(customer):
    ended = make_contract(customer=customer, ends_on=dt.date(2026, 11, 23))
    running = make_contract(customer=customer, ends_on=TODAY)

    assert contracts_mark_expired(today=TODAY) == 1
    assert contracts_mark_expired(today=TODAY) == 0

    ended.refresh_from_db()
    running.refresh_from_db()
    assert ended.status == ContractStatus.EXPIRED
    assert ended.version == 2
    assert running.status == ContractStatus.ACTIVE
    assert ended.history.first().status == ContractStatus.EXPIRED


def test_expiring_selector_lists_running_contracts_soonest_first(customer, manager):
    later = make_contract(customer=customer, ends_on=dt.date(2026, 12, 20))
    sooner = make_contract(customer=customer, ends_on=dt.date(2026, 12, 1))
    make_contract(customer=customer, ends_on=dt.date(2026, 11, 1))  # already ended

    assert list(selectors.contracts_expiring(user=manager, within_days=30, today=TODAY)) == [
        sooner,
        later,
    ]


# --- attachments ----------------------------------------------------------------------------
def test_attachment_type_and_size_are_checked(customer, owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.KEHU_CONTRACT_ATTACHMENT_MAX_BYTES = 10
    contract = make_contract(customer=customer)

    with pytest.raises(ValidationError) as error:
        contract_attachment_add(
            contract=contract, by=owner, upload=SimpleUploadedFile("run.exe", b"MZ")
        )
    assert "file" in error.value.message_dict
    with pytest.raises(ValidationError):
        contract_attachment_add(
            contract=contract, by=owner, upload=SimpleUploadedFile("big.pdf", b"x" * 11)
        )
    attachment = contract_attachment_add(
        contract=contract, by=owner, upload=SimpleUploadedFile("合同.pdf", b"%PDF-1")
    )
    assert attachment.original_name == "合同.pdf"
    assert attachment.size == 6
    assert "合同" not in attachment.file.name
    assert contract.attachments.count() == 1


# --- orders ---------------------------------------------------------------------------------
def test_order_amount_is_the_sum_of_its_lines(customer, org):
    order = make_order(customer=customer)

    assert order.number.startswith("DD")
    assert order.amount == Decimal("3800.00")
    assert order.department == org.east
    assert [line.amount for line in order.lines.all()] == [Decimal("3000.00"), Decimal("800.00")]


def test_order_with_a_bad_line_is_refused_and_nothing_is_written(customer, owner):
    with pytest.raises(ValidationError) as error:
        order_create(
            by=owner,
            customer=customer,
            data={"ordered_on": TODAY},
            lines=[
                {"product_name": "刀具", "quantity": 1, "unit_price": 10},
                {"product_name": "刀具", "quantity": 0, "unit_price": 10},
            ],
        )

    assert "lines.1.quantity" in error.value.message_dict
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()


def test_order_without_lines_is_refused(customer, owner):
    with pytest.raises(ValidationError) as error:
        order_create(by=owner, customer=customer, data={"ordered_on": TODAY}, lines=[])
    assert "lines" in error.value.message_dict


def test_order_contract_must_be_the_customers_and_in_its_currency(customer, owner):
    contract = make_contract(customer=customer, currency="USD")

    with pytest.raises(ValidationError) as error:
        order_create(
            by=owner,
            customer=customer,
            data={"ordered_on": TODAY, "currency": "CNY"},
            lines=[{"product_name": "刀具", "quantity": 1, "unit_price": 10}],
            contract=contract,
        )
    assert "currency" in error.value.message_dict


def test_order_update_replaces_lines_and_refuses_stale_version(customer, owner):
    order = make_order(customer=customer)

    updated = order_update(
        order=order,
        by=owner,
        data={},
        lines=[{"product_name": "刀具", "quantity": 3, "unit_price": 10}],
        expected_version=1,
    )
    assert updated.amount == 30
    assert updated.lines.count() == 1
    with pytest.raises(StaleEditError):
        order_update(order=order, by=owner, data={"notes": "x"}, expected_version=1)


def test_outsider_cannot_record_an_order_for_a_hidden_customer(customer, outsider):
    with pytest.raises(PermissionDenied):
        make_order(customer=customer, by=outsider)
    assert not Order.objects.exists()


def test_daily_task_expires_reminds_and_flags_in_one_run(customer, owner):
    from kehu.sales.tasks import check_contracts

    today = timezone.localdate()
    make_contract(
        customer=customer,
        starts_on=today - dt.timedelta(days=400),
        ends_on=today - dt.timedelta(days=1),
    )
    soon = make_contract(
        customer=customer,
        starts_on=today - dt.timedelta(days=100),
        ends_on=today + dt.timedelta(days=3),
    )
    _plan(soon, 10, on=today - dt.timedelta(days=2))

    first = check_contracts.delay().get()
    again = check_contracts.delay().get()

    assert first == {"expired": 1, "expiry_notices": 1, "overdue_notices": 1}
    assert again == {"expired": 0, "expiry_notices": 0, "overdue_notices": 0}


def test_money_is_shown_with_its_currency_and_in_wan_in_chinese():
    from django.utils import translation

    from kehu.core.templatetags.kehu import money_in

    with translation.override("en"):
        assert money_in(Decimal("1234.5"), "CNY") == "¥1,234.5"
        assert money_in(Decimal("1234.5"), "USD") == "USD 1,234.5"
    with translation.override("zh-hans"):
        assert money_in(Decimal("525000"), "CNY") == "¥52.5万"
        assert money_in(Decimal("525000"), "USD") == "USD 52.5万"


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read the English wording of messages; the default language is zh-hans."""
    from django.utils import translation

    with translation.override("en"):
        yield
