"""The audit page, its CSV, one entry and the revert: administrators only."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.audit.models import AuditEvent
from kehu.audit.services import history_purge
from kehu.audit.tasks import purge_old_history
from kehu.customers.models import Contact, Customer
from kehu.customers.services import contact_update
from kehu.customers.tests.factories import make_customer
from kehu.dataquality.models import ExportLog


def _title_change(contact, by, title):
    return contact_update(
        contact=contact, by=by, data={"title": title}, expected_version=contact.version
    )


def _last_contact_entry(contact):
    return contact.history.order_by("-history_date").first()


@pytest.mark.parametrize("user", ["owner", "manager", "outsider", "steward"])
def test_non_administrators_do_not_find_the_audit_pages(client, org, customer, user):
    contact = customer.contacts.get()
    contact = _title_change(contact, org.owner, "总经理")
    entry = _last_contact_entry(contact)
    client.force_login(getattr(org, user))

    assert client.get(reverse("audit:feed")).status_code == 404
    assert client.get(reverse("audit:export")).status_code == 404
    assert (
        client.get(reverse("audit:entry", args=["customers.contact", entry.pk])).status_code == 404
    )
    response = client.post(
        reverse("audit:revert", args=["customers.contact", entry.pk]), {"field": "title"}
    )
    assert response.status_code == 404
    assert Contact.objects.get(pk=contact.pk).title == "总经理"
    assert not ExportLog.objects.exists()


def test_administrator_sees_the_feed_with_masked_mobiles(client, org, customer):
    contact = customer.contacts.get()
    client.force_login(org.administrator)

    response = client.get(reverse("audit:feed"), {"model": "customers.contact"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "audit-row" in body
    assert contact.mobile not in body
    assert f"{contact.mobile[:3]}****{contact.mobile[-4:]}" in body


def test_feed_filter_errors_name_the_field(english, org):
    english.force_login(org.administrator)
    response = english.get(
        reverse("audit:feed"), {"date_from": "2026-05-02", "date_to": "2026-05-01"}
    )
    assert "The end date is before the start date." in response.content.decode()


def test_csv_export_is_masked_neutralised_and_logged(client, org):
    customer = make_customer(owner=org.owner, name="=1+2上海测试科技有限公司")
    mobile = customer.contacts.get().mobile
    client.force_login(org.administrator)

    response = client.get(reverse("audit:export"), {"model": "customers.customer"})

    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "'=1+2上海" in text
    assert ",=1+2上海" not in text
    assert mobile not in text
    log = ExportLog.objects.get()
    assert log.user == org.administrator
    assert log.row_count >= 1
    assert log.filters == {"audit": {"model": "customers.customer"}}


def test_entry_page_shows_before_and_after(client, org, customer):
    contact = _title_change(customer.contacts.get(), org.owner, "总经理")
    client.force_login(org.administrator)

    entry = _last_contact_entry(contact)
    body = client.get(reverse("audit:entry", args=["customers.contact", entry.pk])).content.decode()

    assert "采购总监" in body
    assert "总经理" in body


def test_administrator_reverts_one_field_through_the_service(client, org, customer):
    contact = customer.contacts.get()
    contact = contact_update(
        contact=contact,
        by=org.owner,
        data={"title": "总经理", "remarks": "新备注"},
        expected_version=contact.version,
    )
    entry = _last_contact_entry(contact)
    client.force_login(org.administrator)

    client.post(reverse("audit:revert", args=["customers.contact", entry.pk]), {"field": "title"})

    contact.refresh_from_db()
    assert (contact.title, contact.remarks) == ("采购总监", "新备注")
    latest = _last_contact_entry(contact)
    assert latest.history_user == org.administrator
    event = AuditEvent.objects.get(action="revert")
    assert event.detail == {"history_id": entry.pk, "field": "title"}
    assert event.target_id == str(contact.pk)


def test_revert_is_refused_when_the_field_changed_since(english, org, customer):
    contact = _title_change(customer.contacts.get(), org.owner, "总经理")
    entry = _last_contact_entry(contact)
    contact = _title_change(contact, org.owner, "董事长")
    english.force_login(org.administrator)

    response = english.post(
        reverse("audit:revert", args=["customers.contact", entry.pk]),
        {"field": "title"},
        follow=True,
    )

    assert "has changed since this entry" in response.content.decode()
    assert Contact.objects.get(pk=contact.pk).title == "董事长"
    assert not AuditEvent.objects.filter(action="revert").exists()


def test_revert_of_an_unsupported_field_is_refused(english, org, customer):
    contact = customer.contacts.get()
    entry = _last_contact_entry(contact)  # a create: nothing to revert
    english.force_login(org.administrator)

    response = english.post(
        reverse("audit:revert", args=["customers.contact", entry.pk]),
        {"field": "title"},
        follow=True,
    )

    assert "cannot be reverted" in response.content.decode()


def test_history_is_kept_unless_a_retention_period_is_set(org, settings):
    customer = make_customer(owner=org.owner, name="宁波保留期限测试有限公司")
    old = timezone.now() - dt.timedelta(days=400)
    Customer.history.filter(id=customer.pk).update(history_date=old)
    settings.KEHU_HISTORY_RETENTION_DAYS = None

    assert purge_old_history.delay().get() == 0
    assert Customer.history.filter(id=customer.pk).exists()

    assert history_purge(retention_days=365) >= 1
    assert not Customer.history.filter(id=customer.pk).exists()
    assert AuditEvent.objects.filter(action="purge").exists()
