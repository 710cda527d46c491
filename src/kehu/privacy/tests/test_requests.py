"""Data-subject requests: the desk (request handlers only), export, correction, rejection."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.audit.models import AuditEvent
from kehu.customers.services import customer_unmask
from kehu.interactions.services import interaction_create
from kehu.privacy import services
from kehu.privacy.models import DataSubjectRequest, RequestStatus
from kehu.sales.tests.factories import make_lead


@pytest.fixture
def contact(customer):
    return customer.contacts.get()


def test_export_contains_every_field_held_about_the_person(org, customer, contact):
    owner = org.owner
    services.consent_record(contact=contact, purpose="marketing", channel="paper", by=owner)
    interaction_create(
        customer=customer,
        by=owner,
        occurred_at=timezone.now() - dt.timedelta(hours=2),
        method="visit",
        topic="拜访",
        summary=f"与{contact.name}讨论方案",
        feedback="interested",
    )
    make_lead(owner=owner, name=contact.name, mobile=contact.mobile, email="")
    customer_unmask(customer=customer, by=org.administrator, ip_address=None, contact=contact)
    request = services.data_request_create(contact=contact, kind="export", by=org.steward)

    data = services.data_request_export(request=request, by=org.steward)

    assert set(data["contact"]) == {
        "id", "name", "title", "mobile", "email", "phone", "is_decision_maker", "remarks",
        "created_at", "updated_at",
    }  # fmt: skip
    assert data["contact"]["mobile"] == contact.mobile  # the person gets their own data unmasked
    assert data["customer"]["code"] == customer.code
    assert set(data["consents"][0]) == {
        "purpose", "notice_version", "notice_language", "notice_text", "channel", "given_at",
        "evidence", "recorded_at", "withdrawn_at", "withdrawal_channel",
    }  # fmt: skip
    assert [i["topic"] for i in data["interactions"]] == ["拜访"]
    assert data["history"][0]["type"] == "create"
    assert data["history"][0]["mobile"]
    assert len(data["unmask_log"]) == 1
    assert [lead["mobile"] for lead in data["leads"]] == [contact.mobile]
    json.dumps(data)  # machine-readable as it is
    request.refresh_from_db()
    assert request.status == RequestStatus.DONE
    assert request.handled_by == org.steward
    assert AuditEvent.objects.filter(action="export", target_id=str(request.pk)).exists()


def test_handler_records_and_exports_through_the_pages(client, org, contact):
    client.force_login(org.steward)
    response = client.post(
        reverse("privacy:request-create"),
        {"mobile": contact.mobile, "kind": "export", "note": "电话核实"},
    )
    assert response.status_code == 302
    request = DataSubjectRequest.objects.get()
    assert request.contact == contact

    download = client.post(reverse("privacy:request-export", args=[request.pk]))

    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/json")
    assert json.loads(download.content)["contact"]["id"] == contact.pk
    assert client.get(reverse("privacy:request-list")).status_code == 200


def test_request_form_names_the_missing_field(english, org):
    english.force_login(org.steward)
    response = english.post(reverse("privacy:request-create"), {"kind": "erase"})
    assert response.status_code == 200
    assert "Give the contact id or the mobile number." in response.content.decode()
    response = english.post(reverse("privacy:request-create"), {"contact": 999999, "kind": "erase"})
    assert "No contact matches." in response.content.decode()
    assert not DataSubjectRequest.objects.exists()


@pytest.mark.parametrize("user", ["owner", "manager", "outsider", "marketing"])
def test_other_users_do_not_find_the_request_desk(client, org, contact, user):
    request = services.data_request_create(contact=contact, kind="erase", by=org.steward)
    client.force_login(getattr(org, user))

    for name in ("request-list", "request-create"):
        assert client.get(reverse(f"privacy:{name}")).status_code == 404
    assert client.get(reverse("privacy:request-detail", args=[request.pk])).status_code == 404
    for name in ("request-export", "request-erase", "request-reject"):
        assert client.post(reverse(f"privacy:{name}", args=[request.pk])).status_code == 404
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN


def test_correction_goes_through_the_contact_service(client, org, contact):
    request = services.data_request_create(contact=contact, kind="correct", by=org.steward)
    client.force_login(org.steward)
    url = reverse("privacy:request-correct", args=[request.pk])
    data = {
        "name": "王建国", "title": "副总经理", "mobile": contact.mobile, "email": "",
        "phone": "", "remarks": "", "version": contact.version,
    }  # fmt: skip

    assert client.post(url, data).status_code == 302

    contact.refresh_from_db()
    assert contact.title == "副总经理"
    assert contact.history.first().history_user == org.steward
    request.refresh_from_db()
    assert request.status == RequestStatus.DONE
    assert request.result == {
        "fields": [
            "email",
            "mobile",
            "name",
            "phone",
            "remarks",
            "title",
        ]
    }


def test_a_stale_correction_is_refused(english, org, contact):
    request = services.data_request_create(contact=contact, kind="correct", by=org.steward)
    english.force_login(org.steward)
    data = {
        "name": "王建国",
        "title": "X",
        "mobile": contact.mobile,
        "version": contact.version - 1,
    }

    response = english.post(reverse("privacy:request-correct", args=[request.pk]), data)

    assert response.status_code == 200
    assert "Someone else saved this record" in response.content.decode()
    contact.refresh_from_db()
    assert contact.title != "X"
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN


def test_erase_and_reject_through_the_pages(client, org, customer, contact):
    erase = services.data_request_create(contact=contact, kind="erase", by=org.steward)
    other = services.data_request_create(contact=contact, kind="export", by=org.steward)
    client.force_login(org.administrator)

    client.post(reverse("privacy:request-reject", args=[other.pk]), {"reason": "身份无法核实"})
    client.post(reverse("privacy:request-erase", args=[erase.pk]))

    erase.refresh_from_db()
    other.refresh_from_db()
    contact.refresh_from_db()
    assert (erase.status, other.status) == (RequestStatus.DONE, RequestStatus.REJECTED)
    assert contact.mobile == ""
    assert contact.name.endswith(f"#{contact.pk}")
    assert AuditEvent.objects.filter(action="privacy", target_model="customers.contact").exists()
