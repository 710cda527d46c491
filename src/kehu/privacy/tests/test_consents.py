"""Consent per contact and purpose: recorded, withdrawn, and the live list marketing uses."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from kehu.customers.models import CustomerShare
from kehu.privacy import selectors, services
from kehu.privacy.models import Consent, PurposeNotice


@pytest.fixture
def contact(customer):
    return customer.contacts.get()


def test_a_recorded_consent_puts_the_contact_on_the_live_list(owner, contact):
    consent = services.consent_record(
        contact=contact, purpose="marketing", channel="web_form", by=owner, evidence="表单 #88"
    )

    assert consent.notice.version == 1
    assert consent.recorded_by == owner
    assert list(selectors.contacts_with_live_consent(purpose="marketing")) == [contact]
    assert not selectors.contacts_with_live_consent(purpose="analytics").exists()


def test_a_withdrawn_consent_excludes_the_contact(owner, contact):
    consent = services.consent_record(
        contact=contact, purpose="marketing", channel="paper", by=owner
    )

    services.consent_withdraw(consent=consent, channel="phone", by=owner)

    assert not selectors.contacts_with_live_consent(purpose="marketing").exists()
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert consent.withdrawal_channel == "phone"


def test_consent_under_a_new_notice_version_replaces_the_old_one(owner, contact):
    old = services.consent_record(contact=contact, purpose="marketing", channel="paper", by=owner)
    PurposeNotice.objects.create(purpose="marketing", version=2, language="zh-hans", text="新版")

    new = services.consent_record(contact=contact, purpose="marketing", channel="email", by=owner)

    old.refresh_from_db()
    assert old.withdrawn_at is not None
    assert new.notice.version == 2
    assert selectors.contacts_with_live_consent(purpose="marketing").count() == 1


def test_the_same_consent_twice_is_refused(owner, contact):
    services.consent_record(contact=contact, purpose="marketing", channel="paper", by=owner)

    with pytest.raises(ValidationError) as exc:
        services.consent_record(contact=contact, purpose="marketing", channel="paper", by=owner)
    assert "purpose" in exc.value.message_dict


def test_bad_input_names_the_field_and_writes_nothing(owner, contact):
    with pytest.raises(ValidationError) as exc:
        services.consent_record(
            contact=contact,
            purpose="marketing",
            channel="pigeon",
            by=owner,
            given_at=timezone.now() + dt.timedelta(days=1),
        )
    assert set(exc.value.message_dict) == {"channel", "given_at"}
    assert not Consent.objects.exists()


def test_a_user_who_cannot_edit_the_customer_cannot_record_consent(teammate, contact, customer):
    CustomerShare.objects.create(customer=customer, user=teammate, access="read")
    with pytest.raises(PermissionDenied):
        services.consent_record(contact=contact, purpose="marketing", channel="paper", by=teammate)


# --- pages -----------------------------------------------------------------------------------
def test_owner_records_and_withdraws_a_consent_on_the_contact_page(client, owner, contact):
    client.force_login(owner)
    url = reverse("privacy:contact-consents", args=[contact.pk])

    response = client.post(url, {"purpose": "marketing", "channel": "paper", "evidence": "表 1"})
    assert response.status_code == 302
    consent = Consent.objects.get()
    response = client.post(
        reverse("privacy:consent-withdraw", args=[consent.pk]), {"channel": "email"}
    )
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    page = client.get(url)
    assert page.status_code == 200
    assert "consent-row" in page.content.decode()


def test_outsider_cannot_see_the_consent_panel_or_withdraw(client, owner, outsider, contact):
    consent = services.consent_record(
        contact=contact, purpose="marketing", channel="paper", by=owner
    )
    client.force_login(outsider)

    assert client.get(reverse("privacy:contact-consents", args=[contact.pk])).status_code == 404
    assert (
        client.get(reverse("privacy:customer-consents", args=[contact.customer_id])).status_code
        == 404
    )
    response = client.post(
        reverse("privacy:consent-withdraw", args=[consent.pk]), {"channel": "email"}
    )
    assert response.status_code == 404
    assert Consent.objects.get().withdrawn_at is None


def test_read_only_team_member_sees_consents_but_cannot_record(client, teammate, customer, contact):
    CustomerShare.objects.create(customer=customer, user=teammate, access="read")
    client.force_login(teammate)
    url = reverse("privacy:contact-consents", args=[contact.pk])

    assert client.get(url).status_code == 200
    assert client.post(url, {"purpose": "marketing", "channel": "paper"}).status_code == 403
    assert not Consent.objects.exists()


def test_customer_page_loads_the_consent_summary(client, owner, customer, contact):
    services.consent_record(contact=contact, purpose="service", channel="phone", by=owner)
    client.force_login(owner)

    detail = client.get(reverse("customers:detail", args=[customer.pk]))
    summary = client.get(
        reverse("privacy:customer-consents", args=[customer.pk]), HTTP_HX_REQUEST="true"
    )

    assert reverse("privacy:customer-consents", args=[customer.pk]) in detail.content.decode()
    assert summary.status_code == 200
    assert contact.name in summary.content.decode()


def test_bad_consent_form_input_shows_the_field_error(english, owner, contact):
    english.force_login(owner)
    response = english.post(
        reverse("privacy:contact-consents", args=[contact.pk]),
        {"purpose": "marketing", "channel": "pigeon"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Consent.objects.exists()


# --- API -------------------------------------------------------------------------------------
def test_api_records_lists_and_withdraws(client, owner, contact):
    client.force_login(owner)
    response = client.post(
        "/api/v1/consents/",
        {"contact": contact.pk, "purpose": "marketing", "channel": "self_service"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    consent_id = response.json()["id"]

    listed = client.get(f"/api/v1/consents/?contact={contact.pk}&live=true").json()
    withdrawn = client.post(
        f"/api/v1/consents/{consent_id}/withdraw/",
        {"channel": "email"},
        content_type="application/json",
    )

    assert [c["id"] for c in listed["results"]] == [consent_id]
    assert withdrawn.status_code == 200
    assert withdrawn.json()["is_live"] is False


def test_api_hides_consents_outside_the_scope(client, owner, outsider, contact):
    consent = services.consent_record(
        contact=contact, purpose="marketing", channel="paper", by=owner
    )
    client.force_login(outsider)

    assert client.get("/api/v1/consents/").json()["results"] == []
    assert client.get(f"/api/v1/consents/{consent.pk}/").status_code == 404
    withdraw = client.post(
        f"/api/v1/consents/{consent.pk}/withdraw/",
        {"channel": "email"},
        content_type="application/json",
    )
    create = client.post(
        "/api/v1/consents/",
        {"contact": contact.pk, "purpose": "service", "channel": "paper"},
        content_type="application/json",
    )
    assert withdraw.status_code == 404
    assert create.status_code == 400
    assert "contact" in create.json()
    assert Consent.objects.get().withdrawn_at is None


def test_api_read_only_user_cannot_record(client, teammate, customer, contact):
    CustomerShare.objects.create(customer=customer, user=teammate, access="read")
    client.force_login(teammate)
    response = client.post(
        "/api/v1/consents/",
        {"contact": contact.pk, "purpose": "service", "channel": "paper"},
        content_type="application/json",
    )
    assert response.status_code == 403
