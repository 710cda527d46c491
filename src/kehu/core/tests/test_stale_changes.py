"""A refused stale edit shows what was saved since the editor opened the record: on the form
pages and in the API's 409 body."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from kehu.customers.services import StaleEditError, customer_update
from kehu.customers.tests.test_views import edit_data
from kehu.interactions.models import TaskStatus
from kehu.interactions.services import task_complete, task_create, task_reassign

pytestmark = pytest.mark.django_db


def test_stale_error_lists_who_changed_which_field_since_the_editors_version(
    owner, manager, customer
):
    opened = customer.version
    customer_update(customer=customer, by=manager, data={"city": "上海市"}, expected_version=opened)

    with pytest.raises(StaleEditError) as error:
        customer_update(
            customer=customer, by=owner, data={"city": "杭州市"}, expected_version=opened
        )

    changes = error.value.changes
    assert changes.changed_by == manager.display_name
    assert [(c.before, c.after) for c in changes.changes] == [("北京市", "上海市")]


def test_stale_form_shows_what_changed_and_keeps_the_other_edit(english, owner, manager, customer):
    stale = edit_data(customer, city="杭州市")
    customer_update(
        customer=customer, by=manager, data={"city": "上海市"}, expected_version=customer.version
    )
    english.force_login(owner)

    page = english.post(reverse("customers:edit", args=[customer.pk]), stale).content.decode()

    assert 'id="stale-changes"' in page
    assert f"Saved by {manager.display_name}" in page
    assert "上海市" in page
    customer.refresh_from_db()
    assert customer.city == "上海市"


def test_stale_contact_form_shows_the_conflict_view(english, owner, manager, customer):
    contact = customer.contacts.get()
    from kehu.customers.services import contact_update

    contact_update(contact=contact, by=manager, data={"title": "总经理"}, expected_version=1)
    english.force_login(owner)

    page = english.post(
        reverse("customers:contact-edit", args=[customer.pk, contact.pk]),
        {"name": "新名字", "title": "采购总监", "version": 1},
    ).content.decode()

    assert 'id="stale-changes"' in page
    assert "总经理" in page


def test_api_409_carries_what_changed(owner, manager, customer):
    opened = customer.version
    customer_update(customer=customer, by=manager, data={"city": "上海市"}, expected_version=opened)
    client = APIClient()
    client.force_authenticate(owner)

    response = client.patch(
        f"/api/v1/customers/{customer.pk}/", {"city": "杭州市", "version": opened}, format="json"
    )

    assert response.status_code == 409
    body = response.json()
    assert body["changed_by"] == manager.display_name
    assert {"before": "北京市", "after": "上海市"}.items() <= body["changes"][0].items()


def test_completing_a_stale_copy_of_a_task_keeps_a_concurrent_reassignment(
    owner, manager, customer
):
    task = task_create(
        customer=customer,
        by=owner,
        title="回访报价",
        assignee=owner,
        due_at=timezone.now() + dt.timedelta(days=1),
    )
    stale_copy = type(task).objects.get(pk=task.pk)
    task_reassign(task=task, by=owner, assignee=manager)

    done = task_complete(task=stale_copy, by=owner)

    assert done.status == TaskStatus.DONE
    assert done.assignee == manager


def test_a_task_change_with_a_stale_version_is_refused(owner, customer):
    task = task_create(
        customer=customer,
        by=owner,
        title="回访报价",
        assignee=owner,
        due_at=timezone.now() + dt.timedelta(days=1),
    )
    task_complete(task=task, by=owner)

    with pytest.raises(StaleEditError):
        task_complete(task=task, by=owner, expected_version=task.version)
