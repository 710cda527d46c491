"""Monthly review by the data steward and reminders for customers nobody updated for N days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_customer
from kehu.dataquality.models import CustomerReview, ReviewOutcome, StaleReminder
from kehu.dataquality.review import (
    month_start,
    review_confirm,
    review_pending,
    review_progress,
    review_send_back,
    stale_customers,
    stale_reminders_send,
)
from kehu.interactions.models import Notification, Task

REVIEW_URL = reverse("dataquality:review")
STALE_URL = reverse("dataquality:stale")


def _age(customer: Customer, days: int) -> Customer:
    """Pretend nobody touched the customer for `days` days (no edit, no interaction)."""
    then = timezone.now() - dt.timedelta(days=days)
    Customer.objects.filter(pk=customer.pk).update(updated_at=then, last_interaction_at=None)
    customer.refresh_from_db()
    return customer


@pytest.fixture
def two_customers(org):
    east = make_customer(owner=org.owner, name="杭州审核测试一号科技有限公司")
    north = make_customer(owner=org.outsider, name="北京审核测试二号科技有限公司")
    return east, north


# --- monthly review --------------------------------------------------------------------------
def test_confirmed_customers_leave_this_months_review_list(org, two_customers):
    east, north = two_customers
    month = month_start()

    confirmed = review_confirm(customer_ids=[east.pk], by=org.steward, month=month)

    assert confirmed == 1
    assert list(review_pending(viewer=org.steward, month=month)) == [north]
    progress = review_progress(viewer=org.steward, month=month)
    assert (progress.total, progress.confirmed, progress.sent_back) == (2, 1, 0)


def test_last_months_review_does_not_count_for_this_month(org, two_customers):
    east, _north = two_customers
    last_month = month_start() - dt.timedelta(days=1)
    review_confirm(customer_ids=[east.pk], by=org.steward, month=month_start(last_month))

    assert east in review_pending(viewer=org.steward, month=month_start())


def test_confirming_twice_counts_once(org, two_customers):
    east, _north = two_customers
    review_confirm(customer_ids=[east.pk], by=org.steward)

    assert review_confirm(customer_ids=[east.pk], by=org.steward) == 0
    assert CustomerReview.objects.count() == 1


def test_sales_rep_may_not_review(org, two_customers):
    east, _north = two_customers

    with pytest.raises(PermissionDenied):
        review_confirm(customer_ids=[east.pk], by=org.owner)


def test_send_back_records_the_review_and_gives_the_owner_a_task(org, two_customers):
    east, _north = two_customers

    review = review_send_back(customer=east, by=org.steward, note="决策人职务缺失")

    assert review.outcome == ReviewOutcome.NEEDS_UPDATE
    task = Task.objects.get(customer=east)
    assert task.assignee == org.owner
    assert "决策人职务缺失" in task.title
    assert task.due_at > timezone.now()


def test_send_back_needs_a_note_and_changes_nothing_without_one(org, two_customers):
    east, _north = two_customers

    with pytest.raises(ValidationError) as error:
        review_send_back(customer=east, by=org.steward, note="  ")

    assert "note" in error.value.message_dict
    assert not CustomerReview.objects.exists()
    assert not Task.objects.exists()


def test_review_page_lists_unreviewed_customers_with_progress(client, org, two_customers):
    east, north = two_customers
    review_confirm(customer_ids=[north.pk], by=org.steward)
    client.force_login(org.steward)

    response = client.get(REVIEW_URL)

    content = response.content.decode()
    assert response.status_code == 200
    assert east.name in content
    assert north.name not in content
    assert 'data-progress="50"' in content


def test_review_page_confirms_the_selected_customers(client, org, two_customers):
    east, north = two_customers
    client.force_login(org.steward)

    response = client.post(REVIEW_URL, {"action": "confirm", "customer": [east.pk, north.pk]})

    assert response.status_code == 302
    assert CustomerReview.objects.filter(outcome=ReviewOutcome.CONFIRMED).count() == 2


def test_review_page_sends_back_with_a_note(client, org, two_customers):
    east, _north = two_customers
    client.force_login(org.steward)

    client.post(REVIEW_URL, {"action": "send_back", "customer": east.pk, "note": "请核实状态"})

    assert CustomerReview.objects.get().outcome == ReviewOutcome.NEEDS_UPDATE
    assert Task.objects.get().assignee == org.owner


def test_sales_rep_cannot_open_the_review_page(client, org, two_customers):
    client.force_login(org.owner)

    assert client.get(REVIEW_URL).status_code == 403


def test_review_only_touches_customers_the_reviewer_may_see(org, two_customers):
    """A manager-level reviewer scope is the reviewer's data scope; ids outside it are skipped."""
    east, north = two_customers
    org.manager.roles.add(*org.steward.roles.all())  # a department head who also reviews
    north_visible = Customer.objects.visible_to(org.manager).filter(pk=north.pk).exists()

    confirmed = review_confirm(customer_ids=[east.pk, north.pk], by=org.manager)

    assert confirmed == CustomerReview.objects.count()
    assert CustomerReview.objects.filter(customer=north).exists() == north_visible


# --- not updated for N days ------------------------------------------------------------------
def test_customer_untouched_for_n_days_is_stale(org, settings):
    settings.KEHU_STALE_AFTER_DAYS = 30
    old = _age(make_customer(owner=org.owner, name="杭州久未更新科技有限公司"), 31)
    make_customer(owner=org.owner, name="杭州刚刚更新科技有限公司")

    assert list(stale_customers(viewer=org.owner)) == [old]


def test_a_recent_interaction_keeps_a_customer_fresh(org, settings):
    settings.KEHU_STALE_AFTER_DAYS = 30
    customer = _age(make_customer(owner=org.owner, name="杭州刚跟进过科技有限公司"), 60)
    Customer.objects.filter(pk=customer.pk).update(last_interaction_at=timezone.now())

    assert not stale_customers(viewer=org.owner).exists()


def test_stale_list_respects_the_data_scope(client, org, settings):
    settings.KEHU_STALE_AFTER_DAYS = 30
    hidden = _age(make_customer(owner=org.outsider, name="北京别人的久未更新有限公司"), 40)
    client.force_login(org.owner)

    response = client.get(STALE_URL)

    assert response.status_code == 200
    assert hidden.name not in response.content.decode()


def test_owner_is_reminded_once_a_day(org, settings):
    settings.KEHU_STALE_AFTER_DAYS = 30
    _age(make_customer(owner=org.owner, name="杭州久未更新一号有限公司"), 31)
    _age(make_customer(owner=org.owner, name="杭州久未更新二号有限公司"), 45)

    first = stale_reminders_send()
    again = stale_reminders_send()

    assert (first, again) == (1, 0)
    notice = Notification.objects.get(recipient=org.owner)
    assert "2" in notice.title
    assert notice.url == STALE_URL
    assert StaleReminder.objects.get().customer_count == 2


def test_nobody_is_reminded_when_everything_is_fresh(org):
    make_customer(owner=org.owner, name="杭州新鲜客户科技有限公司")

    assert stale_reminders_send() == 0
    assert not Notification.objects.exists()
