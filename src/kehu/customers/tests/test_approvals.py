"""Status changes: a reason every time, approval by the department head for 成交/流失."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.customers.approvals import (
    approvals_inbox,
    customer_change_status,
    status_change_approve,
    status_change_reject,
)
from kehu.customers.models import StatusChange, StatusChangeState


def test_change_without_reason_is_refused_and_nothing_changes(customer, owner):
    with pytest.raises(ValidationError) as info:
        customer_change_status(customer=customer, to="prospect", reason=" ", by=owner)

    assert "reason" in info.value.message_dict
    customer.refresh_from_db()
    assert customer.status == "interested"
    assert StatusChange.objects.count() == 0


def test_ordinary_change_applies_at_once_with_the_reason_in_the_remarks(customer, owner):
    change = customer_change_status(
        customer=customer, to="prospect", reason="客户预算冻结，需重新培育", by=owner
    )

    customer.refresh_from_db()
    assert change.state == StatusChangeState.APPLIED
    assert customer.status == "prospect"
    assert "客户预算冻结，需重新培育" in customer.remarks
    assert "潜在客户" in customer.remarks


def test_change_to_customer_waits_for_the_department_head(customer, owner, manager):
    change = customer_change_status(
        customer=customer, to="customer", reason="签订年度合同", by=owner
    )

    customer.refresh_from_db()
    assert customer.status == "interested"
    assert change.state == StatusChangeState.PENDING
    assert change.approver == manager
    assert list(approvals_inbox(user=manager)) == [change]


def test_approval_applies_the_change_and_records_it(customer, owner, manager):
    change = customer_change_status(
        customer=customer, to="customer", reason="签订年度合同", by=owner
    )

    status_change_approve(change=change, by=manager)

    customer.refresh_from_db()
    assert customer.status == "customer"
    assert "签订年度合同" in customer.remarks
    assert "成交客户" in customer.remarks
    assert manager.display_name in customer.remarks
    last = customer.history.order_by("-history_date").first()
    assert last.history_user == manager
    assert "status" in last.diff_against(last.prev_record).changed_fields


def test_rejection_needs_a_reason_and_leaves_the_status(customer, owner, manager):
    change = customer_change_status(customer=customer, to="lost", reason="客户选择竞品", by=owner)

    with pytest.raises(ValidationError):
        status_change_reject(change=change, by=manager, note="")
    status_change_reject(change=change, by=manager, note="请先安排一次高层拜访")

    customer.refresh_from_db()
    assert customer.status == "interested"
    change.refresh_from_db()
    assert change.state == StatusChangeState.REJECTED


def test_nobody_approves_their_own_request(org):
    from kehu.customers.tests.factories import make_customer

    record = make_customer(owner=org.manager, name="南京紫金山软件有限公司")
    change = customer_change_status(
        customer=record, to="customer", reason="签订年度合同", by=org.manager
    )

    assert change.approver != org.manager
    with pytest.raises(ValidationError):
        status_change_approve(change=change, by=org.manager)


def test_other_users_cannot_decide(customer, owner, teammate, outsider):
    change = customer_change_status(
        customer=customer, to="customer", reason="签订年度合同", by=owner
    )
    for user in (teammate, outsider):
        with pytest.raises(PermissionDenied):
            status_change_approve(change=change, by=user)


def test_one_pending_request_per_customer(customer, owner):
    customer_change_status(customer=customer, to="customer", reason="签订年度合同", by=owner)
    with pytest.raises(ValidationError):
        customer_change_status(customer=customer, to="lost", reason="客户选择竞品", by=owner)


def test_read_only_user_cannot_change_status(customer, org):
    with pytest.raises(PermissionDenied):
        customer_change_status(customer=customer, to="prospect", reason="测试原因", by=org.service)


def test_approval_decided_twice_is_refused(customer, owner, manager):
    change = customer_change_status(
        customer=customer, to="customer", reason="签订年度合同", by=owner
    )
    status_change_approve(change=change, by=manager)
    with pytest.raises(ValidationError):
        status_change_approve(change=change, by=manager)
