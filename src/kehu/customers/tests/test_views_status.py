"""Status changes and the approvals inbox from the outside.

Named users (conftest): owner (sales, 华东), teammate (sales, same group), manager (head of 销售部,
so the approver of the owner's requests), outsider (sales, 华北: cannot see the owner's
customers), org.service (reads the whole company, edits nothing of others), administrator.
"""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from kehu.customers.approvals import customer_change_status, status_change_reject
from kehu.customers.models import Customer, StatusChange, StatusChangeState
from kehu.customers.tests.factories import make_customer

HTMX = {"HTTP_HX_REQUEST": "true"}
REASON = "签订年度合同"


def login(client, user):
    """Signed in, reading English (the source strings), whatever the translations say."""
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def status_url(customer, name="status-change"):
    return reverse(f"customers:{name}", args=[customer.pk])


def approve_url(change):
    return reverse("customers:approval-approve", args=[change.pk])


def reject_url(change):
    return reverse("customers:approval-reject", args=[change.pk])


@pytest.fixture
def pending(customer, owner):
    """The owner asks to make the customer 成交客户: waits for the manager."""
    return customer_change_status(customer=customer, to="customer", reason=REASON, by=owner)


# --- on the 360 page ------------------------------------------------------------------------
def test_360_page_loads_the_status_action_and_changes_with_htmx(client, owner, customer):
    login(client, owner)

    content = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert f'hx-get="{status_url(customer, "status-action")}"' in content
    assert f'hx-get="{status_url(customer, "status-changes")}"' in content


def test_editor_gets_the_change_status_button_with_its_form(client, owner, customer):
    login(client, owner)

    content = client.get(status_url(customer, "status-action"), **HTMX).content.decode()

    assert 'data-bs-target="#status-change-modal"' in content
    assert f'hx-post="{status_url(customer)}"' in content
    select = re.search(r'<select name="to_status".*?</select>', content, re.S).group(0)
    assert 'value="customer"' in select
    assert 'value="interested"' not in select  # the current status


def test_read_only_user_gets_no_change_status_button(client, org, customer):
    login(client, org.service)

    response = client.get(status_url(customer, "status-action"), **HTMX)

    assert response.status_code == 200
    assert "status-change-modal" not in response.content.decode()


def test_pending_request_shows_who_it_waits_for_instead_of_the_button(
    client, owner, customer, pending
):
    login(client, owner)

    content = client.get(status_url(customer, "status-action"), **HTMX).content.decode()

    assert "awaiting approval by 王经理" in content
    assert "status-change-modal" not in content


def test_outsider_gets_404_on_every_status_endpoint(client, org, customer, pending):
    login(client, org.outsider)

    statuses = [
        client.get(status_url(customer, "status-action"), **HTMX).status_code,
        client.get(status_url(customer, "status-changes"), **HTMX).status_code,
        client.get(status_url(customer)).status_code,
        client.post(
            status_url(customer), {"to_status": "lost", "reason": "客户已倒闭"}
        ).status_code,
        client.post(approve_url(pending)).status_code,
    ]

    assert statuses == [404, 404, 404, 404, 404]
    assert StatusChange.objects.count() == 1


def test_read_only_user_gets_403_on_changing_status_and_nothing_changes(client, org, customer):
    login(client, org.service)

    page = client.get(status_url(customer))
    post = client.post(status_url(customer), {"to_status": "prospect", "reason": "预算冻结了"})

    assert (page.status_code, post.status_code) == (403, 403)
    customer.refresh_from_db()
    assert customer.status == "interested"
    assert not StatusChange.objects.exists()


def test_status_change_without_reason_shows_the_message_and_changes_nothing(
    client, owner, customer
):
    login(client, owner)

    response = client.post(status_url(customer), {"to_status": "prospect", "reason": ""}, **HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<form id="status-change-form"')
    error = re.search(r'id="id_reason_error">([^<]*)<', content).group(1)
    assert "Give the reason for the change" in error
    customer.refresh_from_db()
    assert customer.status == "interested"
    assert not StatusChange.objects.exists()


def test_ordinary_change_applies_at_once_and_htmx_reloads_the_page(client, owner, customer):
    login(client, owner)

    response = client.post(
        status_url(customer), {"to_status": "prospect", "reason": "客户预算冻结"}, **HTMX
    )

    assert response["HX-Redirect"] == reverse("customers:detail", args=[customer.pk])
    customer.refresh_from_db()
    assert customer.status == "prospect"
    assert "客户预算冻结" in customer.remarks
    page = client.get(response["HX-Redirect"]).content.decode()
    assert "The status is now" in page  # the toast


def test_change_to_customer_waits_for_the_head_and_the_status_stays(client, owner, customer):
    login(client, owner)

    response = client.post(status_url(customer), {"to_status": "customer", "reason": REASON})

    assert response.status_code == 302
    change = StatusChange.objects.get()
    assert (change.state, change.approver.username) == (StatusChangeState.PENDING, "manager")
    customer.refresh_from_db()
    assert customer.status == "interested"
    page = client.get(response["Location"]).content.decode()
    assert "is waiting for 王经理" in page


def test_second_request_while_one_is_pending_is_refused(client, owner, customer, pending):
    login(client, owner)

    response = client.post(
        status_url(customer), {"to_status": "lost", "reason": "客户已倒闭"}, **HTMX
    )

    assert "already awaiting approval" in response.content.decode()
    assert StatusChange.objects.count() == 1


def test_status_change_form_as_a_page_without_javascript(client, owner, customer):
    login(client, owner)

    response = client.get(status_url(customer))

    content = response.content.decode()
    assert "<html" in content
    assert 'id="status-change-page-form"' in content


def test_status_changes_partial_and_page_show_state_reason_requester_and_decision(
    client, owner, manager, customer
):
    change = customer_change_status(customer=customer, to="lost", reason="客户选择竞品", by=owner)
    status_change_reject(change=change, by=manager, note="请先安排一次高层拜访")
    login(client, owner)

    partial = client.get(status_url(customer, "status-changes"), **HTMX).content.decode()
    page = client.get(status_url(customer, "status-changes")).content.decode()

    assert "<html" not in partial
    for text in (
        "客户选择竞品",
        "Rejected",
        "asked by 张三",
        "Approver: 王经理",
        "请先安排一次高层拜访",
    ):
        assert text in partial
    assert "<html" in page
    assert "客户选择竞品" in page


# --- the approvals inbox --------------------------------------------------------------------
def test_inbox_requires_login(client, org):
    response = client.get(reverse("customers:approvals"))

    assert response.status_code == 302


def test_inbox_shows_only_requests_waiting_for_me(client, org, customer, pending):
    service_customer = make_customer(owner=org.service, name="广州南方餐饮管理有限公司")
    for_admin = customer_change_status(
        customer=service_customer, to="lost", reason="客户已倒闭", by=org.service
    )
    login(client, org.manager)
    manager_inbox = client.get(reverse("customers:approvals")).context["inbox"]
    login(client, org.teammate)
    teammate_inbox = client.get(reverse("customers:approvals")).context["inbox"]
    login(client, org.administrator)
    admin_inbox = client.get(reverse("customers:approvals")).context["inbox"]

    assert manager_inbox == [pending]
    assert teammate_inbox == []
    assert set(admin_inbox) == {pending, for_admin}


def test_inbox_row_shows_customer_change_reason_requester(client, manager, customer, pending):
    login(client, manager)

    content = client.get(reverse("customers:approvals")).content.decode()

    row = re.search(rf'<tr id="approval-{pending.pk}">.*?</tr>', content, re.S).group(0)
    assert reverse("customers:detail", args=[customer.pk]) in row
    assert customer.code in row
    for text in ("Interested", "Customer", REASON, "张三", "<time"):
        assert text in row


def test_head_approves_with_htmx_and_the_customer_changes_with_the_remark(
    client, manager, customer, pending
):
    login(client, manager)

    response = client.post(approve_url(pending), {"note": "同意"}, **HTMX)

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="approvals-panel"')
    assert f'id="approval-{pending.pk}"' not in content
    assert f'id="decided-{pending.pk}"' in content
    assert "Approved: 上海东方精密机械有限公司 is now “Customer" in content  # the toast
    customer.refresh_from_db()
    assert customer.status == "customer"
    assert REASON in customer.remarks
    pending.refresh_from_db()
    assert (pending.state, pending.decision_note) == (StatusChangeState.APPROVED, "同意")


def test_approval_without_htmx_redirects_to_the_inbox(client, manager, customer, pending):
    login(client, manager)

    response = client.post(approve_url(pending), {"note": ""})

    assert response.status_code == 302
    assert response["Location"] == reverse("customers:approvals")
    customer.refresh_from_db()
    assert customer.status == "customer"


def test_rejection_without_a_note_is_refused_in_the_row(client, manager, customer, pending):
    login(client, manager)

    response = client.post(reject_url(pending), {"note": ""}, **HTMX)

    row = re.search(rf'<tr id="approval-{pending.pk}">.*?</tr>', response.content.decode(), re.S)
    assert "Say why the request is rejected." in row.group(0)
    pending.refresh_from_db()
    assert pending.state == StatusChangeState.PENDING


def test_head_rejects_with_a_note_and_the_status_stays(client, manager, customer, pending):
    login(client, manager)

    client.post(reject_url(pending), {"note": "请先安排一次高层拜访"}, **HTMX)

    pending.refresh_from_db()
    customer.refresh_from_db()
    assert (pending.state, pending.decision_note) == (
        StatusChangeState.REJECTED,
        "请先安排一次高层拜访",
    )
    assert customer.status == "interested"


def test_approving_ones_own_request_shows_the_message_and_changes_nothing(
    client, owner, customer, pending
):
    login(client, owner)

    response = client.post(approve_url(pending), {}, **HTMX)

    assert "You cannot approve or reject your own request." in response.content.decode()
    pending.refresh_from_db()
    customer.refresh_from_db()
    assert pending.state == StatusChangeState.PENDING
    assert customer.status == "interested"


def test_read_only_user_who_sees_the_customer_gets_403_on_deciding(client, org, customer, pending):
    login(client, org.service)

    responses = [client.post(approve_url(pending)), client.post(reject_url(pending), {"note": "x"})]

    assert [r.status_code for r in responses] == [403, 403]
    pending.refresh_from_db()
    assert pending.state == StatusChangeState.PENDING


def test_decided_requests_of_the_last_30_days_are_listed_below(client, manager, customer, owner):
    old = customer_change_status(customer=customer, to="lost", reason="客户选择竞品", by=owner)
    status_change_reject(change=old, by=manager, note="再跟进一下")
    StatusChange.objects.filter(pk=old.pk).update(decided_at=timezone.now() - dt.timedelta(days=31))
    recent = customer_change_status(customer=customer, to="lost", reason="客户已倒闭", by=owner)
    status_change_reject(change=recent, by=manager, note="核实一下")
    login(client, manager)

    content = client.get(reverse("customers:approvals")).content.decode()

    assert f'id="decided-{recent.pk}"' in content
    assert f'id="decided-{old.pk}"' not in content


def test_requester_sees_their_pending_requests_under_my_requests(client, owner, customer, pending):
    login(client, owner)

    inbox = client.get(reverse("customers:approvals")).content.decode()
    mine = client.get(reverse("customers:approvals") + "?tab=mine", **HTMX).content.decode()

    assert f'id="approval-{pending.pk}"' not in inbox
    assert mine.lstrip().startswith('<div id="approvals-panel"')
    row = re.search(rf'<tr id="mine-{pending.pk}">.*?</tr>', mine, re.S).group(0)
    assert "Awaiting approval" in row
    assert "王经理" in row


def test_sidebar_links_the_approvals_inbox(client, owner):
    login(client, owner)

    content = client.get(reverse("customers:approvals")).content.decode()

    link = re.search(
        rf'<a class="nav-link active" href="{reverse("customers:approvals")}"', content
    )
    assert link is not None
    assert not re.search(r'<a class="nav-link active" href="/customers/"', content)


def test_nothing_changes_on_a_customer_when_the_request_is_refused(client, owner, customer):
    """The whole refusal path leaves the customer's version and remarks untouched."""
    before = Customer.objects.values("version", "remarks").get(pk=customer.pk)
    login(client, owner)

    client.post(status_url(customer), {"to_status": "customer", "reason": "好"}, **HTMX)

    assert Customer.objects.values("version", "remarks").get(pk=customer.pk) == before


def test_inbox_query_count_does_not_grow_with_the_requests(client, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def inbox_queries():
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("customers:approvals"))
        return len(queries)

    def ask(index):
        record = make_customer(owner=org.owner, name=f"上海东方精密机械第{index}分公司")
        change = customer_change_status(
            customer=record, to="lost", reason="客户已倒闭", by=org.owner
        )
        return change

    status_change_reject(change=ask(0), by=org.manager, note="再跟进")
    ask(1)
    login(client, org.manager)
    inbox_queries()  # warm: the layout's reference data is read once per process
    few = inbox_queries()
    for index in range(2, 8):
        status_change_reject(change=ask(index), by=org.manager, note="再跟进")
        ask(index + 10)

    assert inbox_queries() == few
