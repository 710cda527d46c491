"""The retention rule: contacts of customers lost more than N years ago are anonymised,
once, in batches, and logged."""

import datetime as dt

from django.utils import timezone

from kehu.audit.models import AuditEvent
from kehu.customers.approvals import customer_change_status, status_change_approve
from kehu.customers.models import Customer, StatusChange
from kehu.customers.tests.factories import make_customer
from kehu.privacy.models import DataSubjectRequest, RequestOrigin
from kehu.privacy.services import retention_anonymise_lost
from kehu.privacy.tasks import anonymise_lost_customers


def _lose(customer, *, org, years_ago: float):
    change = customer_change_status(
        customer=customer, to="lost", reason="客户已转向竞争对手", by=org.owner
    )
    status_change_approve(change=change, by=org.manager)
    when = timezone.now() - dt.timedelta(days=365 * years_ago)
    StatusChange.objects.filter(pk=change.pk).update(decided_at=when)


def test_contacts_of_customers_lost_long_ago_are_anonymised_once(org):
    old = make_customer(owner=org.owner, name="上海旧时光贸易有限公司")
    recent = make_customer(owner=org.owner, name="上海新近贸易有限公司")
    active = make_customer(owner=org.owner, name="上海常青贸易有限公司")
    _lose(old, org=org, years_ago=4)
    _lose(recent, org=org, years_ago=1)

    erased = retention_anonymise_lost(years=3, batch_size=1)
    again = retention_anonymise_lost(years=3)

    assert (erased, again) == (1, 0)
    assert old.contacts.get().mobile == ""
    assert recent.contacts.get().mobile != ""
    assert active.contacts.get().mobile != ""
    request = DataSubjectRequest.objects.get()
    assert request.origin == RequestOrigin.RETENTION
    assert request.contact == old.contacts.get()
    assert AuditEvent.objects.filter(action="privacy", target_model="", detail__count=1).exists()


def test_a_customer_lost_without_a_status_change_is_dated_by_its_history(org):
    customer = make_customer(owner=org.owner, name="上海导入流失有限公司", status="lost")
    long_ago = timezone.now() - dt.timedelta(days=365 * 5)
    Customer.history.filter(id=customer.pk).update(history_date=long_ago)

    assert retention_anonymise_lost(years=3) == 1
    assert customer.contacts.get().mobile == ""


def test_a_customer_won_back_is_not_touched(org):
    customer = make_customer(owner=org.owner, name="上海回归贸易有限公司")
    _lose(customer, org=org, years_ago=4)
    Customer.objects.filter(pk=customer.pk).update(status="customer")

    assert retention_anonymise_lost(years=3) == 0


def test_the_nightly_task_does_nothing_unless_a_period_is_set(org, settings):
    customer = make_customer(owner=org.owner, name="上海旧时光贸易有限公司")
    _lose(customer, org=org, years_ago=10)
    settings.KEHU_RETENTION_LOST_YEARS = None

    assert anonymise_lost_customers.delay().get() == 0

    settings.KEHU_RETENTION_LOST_YEARS = 3
    assert anonymise_lost_customers.delay().get() == 1
