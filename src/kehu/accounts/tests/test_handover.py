"""离职交接: everything a departing user owns moves, after the department head confirms."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kehu.accounts.models import HandoverState
from kehu.accounts.services import handover_confirm, handover_reject, handover_request
from kehu.customers.approvals import customer_change_status
from kehu.customers.models import Customer, CustomerShare, ShareAccess, StatusChange
from kehu.customers.services import customer_share_set
from kehu.customers.tests.factories import make_customer
from kehu.interactions.models import Task
from kehu.interactions.services import interaction_create


@pytest.fixture
def departing(org):
    """The owner with two customers, an interaction with an open task, a related-team place
    and a pending approval."""
    first = make_customer(owner=org.owner, name="上海东方精密机械有限公司")
    make_customer(owner=org.owner, name="苏州恒瑞电子科技有限公司")
    other = make_customer(owner=org.teammate, name="杭州西湖茶业有限公司")
    customer_share_set(customer=other, user=org.owner, access=ShareAccess.WRITE, by=org.teammate)
    interaction_create(
        customer=first,
        by=org.owner,
        occurred_at=timezone.now(),
        method="phone",
        topic="回访",
        summary="电话回访",
        feedback="interested",
        next_action="发送报价",
        next_action_owner=org.owner,
        next_action_due=timezone.now() + dt.timedelta(days=2),
    )
    customer_change_status(customer=first, to="customer", reason="签订年度合同", by=org.owner)
    return org


def test_administrator_requests_and_the_head_confirms(departing):
    org = departing
    successor = org.outsider
    handover = handover_request(
        from_user=org.owner, to_user=successor, by=org.administrator, deactivate=True
    )
    assert handover.state == HandoverState.PENDING
    assert handover.approver == org.manager
    assert Customer.objects.filter(owner=org.owner).count() == 2

    done = handover_confirm(handover=handover, by=org.manager)

    assert done.state == HandoverState.DONE
    assert Customer.objects.filter(owner=org.owner).count() == 0
    assert Customer.objects.filter(owner=successor).count() == 2
    assert set(Customer.objects.filter(owner=successor).values_list("department", flat=True)) == {
        successor.department_id
    }
    assert Task.objects.get().assignee == successor
    assert StatusChange.objects.get().requested_by == successor
    assert CustomerShare.objects.get().user == successor
    assert done.report["customers"] == 2
    assert done.report["tasks"] == 1
    assert done.report["interactions"] == 1
    assert done.report["contacts"] == 2
    org.owner.refresh_from_db()
    assert not org.owner.is_active


def test_history_records_who_moved_the_customers(departing):
    org = departing
    handover = handover_request(from_user=org.owner, to_user=org.teammate, by=org.administrator)
    handover_confirm(handover=handover, by=org.manager)

    record = Customer.history.filter(owner=org.teammate).order_by("-history_date").first()
    assert record.history_user == org.manager


def test_head_requesting_confirms_at_once(departing):
    org = departing
    handover = handover_request(from_user=org.owner, to_user=org.teammate, by=org.manager)
    assert handover.state == HandoverState.DONE


def test_sales_rep_cannot_request_a_handover(departing):
    with pytest.raises(PermissionDenied):
        handover_request(
            from_user=departing.owner, to_user=departing.teammate, by=departing.teammate
        )


def test_only_the_department_head_confirms(departing):
    org = departing
    handover = handover_request(from_user=org.owner, to_user=org.teammate, by=org.administrator)
    with pytest.raises(PermissionDenied):
        handover_confirm(handover=handover, by=org.administrator)
    assert Customer.objects.filter(owner=org.owner).count() == 2


def test_rejected_handover_moves_nothing(departing):
    org = departing
    handover = handover_request(from_user=org.owner, to_user=org.teammate, by=org.administrator)
    handover_reject(handover=handover, by=org.manager, note="下月再交接")
    assert Customer.objects.filter(owner=org.owner).count() == 2
    with pytest.raises(ValidationError):
        handover_confirm(handover=handover, by=org.manager)


def test_handover_to_self_or_inactive_user_is_refused(departing):
    org = departing
    with pytest.raises(ValidationError):
        handover_request(from_user=org.owner, to_user=org.owner, by=org.administrator)
    org.teammate.is_active = False
    org.teammate.save()
    with pytest.raises(ValidationError):
        handover_request(from_user=org.owner, to_user=org.teammate, by=org.administrator)
