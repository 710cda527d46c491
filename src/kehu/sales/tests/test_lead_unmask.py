"""A lead's mobile number is masked on every page and in the API, whatever the field-security
level; revealing it is an action of its own, allowed by the role's unmask scope and written to
the unmask log (like a contact's number)."""

import pytest
from rest_framework.test import APIClient

from kehu.customers.models import FieldSecurity, UnmaskLog
from kehu.customers.sensitive import LEAD_MOBILE
from kehu.customers.validators import mask_mobile
from kehu.sales.tests.factories import make_lead

pytestmark = pytest.mark.django_db

MOBILE = "13955507788"
MASKED = mask_mobile(MOBILE)


@pytest.fixture
def lead(owner):
    return make_lead(owner=owner, mobile=MOBILE)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_lead_detail_shows_the_mobile_masked_with_a_reveal_button(english, owner, lead):
    english.force_login(owner)

    page = english.get(f"/sales/leads/{lead.pk}/").content.decode()

    assert MOBILE not in page
    assert MASKED in page
    assert f"/sales/leads/{lead.pk}/unmask/" in page
    assert not UnmaskLog.objects.exists()


def test_revealing_a_lead_mobile_on_the_page_shows_it_and_logs_it(english, owner, lead):
    english.force_login(owner)

    partial = english.post(
        f"/sales/leads/{lead.pk}/unmask/", HTTP_HX_REQUEST="true", REMOTE_ADDR="10.0.0.7"
    )
    page = english.post(f"/sales/leads/{lead.pk}/unmask/")

    assert partial.status_code == 200
    assert MOBILE in partial.content.decode()
    assert "Shown to you and logged" in partial.content.decode()
    assert MOBILE in page.content.decode()
    entries = list(UnmaskLog.objects.order_by("at", "id"))
    assert len(entries) == 2
    assert entries[0].lead_id == lead.pk
    assert entries[0].customer_id is None
    assert entries[0].field == LEAD_MOBILE
    assert entries[0].user == owner
    assert entries[0].ip_address == "10.0.0.7"


def test_the_api_masks_a_lead_mobile_and_reveals_it_through_unmask(owner, lead):
    client = api(owner)

    shown = client.get(f"/api/v1/leads/{lead.pk}/").json()
    listed = client.get("/api/v1/leads/").json()
    revealed = client.post(f"/api/v1/leads/{lead.pk}/unmask/")

    assert shown["mobile"] == MASKED
    assert MOBILE not in str(listed)
    assert revealed.status_code == 200
    assert revealed.json() == {"id": lead.pk, "mobile": MOBILE}
    assert UnmaskLog.objects.filter(lead=lead, user=owner, field=LEAD_MOBILE).count() == 1


def test_a_manager_may_reveal_the_lead_of_a_rep_in_the_department(manager, lead):
    assert api(manager).post(f"/api/v1/leads/{lead.pk}/unmask/").json()["mobile"] == MOBILE


def test_a_user_outside_the_data_scope_gets_404_and_nothing_is_logged(
    english, outsider, teammate, lead
):
    for user in (outsider, teammate):
        english.force_login(user)
        assert english.post(f"/sales/leads/{lead.pk}/unmask/").status_code == 404
        assert api(user).post(f"/api/v1/leads/{lead.pk}/unmask/").status_code == 404
    assert not UnmaskLog.objects.exists()


def test_a_role_whose_field_level_is_masked_cannot_reveal(english, owner, lead):
    FieldSecurity.objects.filter(role__code="sales", field=LEAD_MOBILE).update(level="masked")
    english.force_login(owner)

    page = english.get(f"/sales/leads/{lead.pk}/").content.decode()

    assert MASKED in page
    assert f"/sales/leads/{lead.pk}/unmask/" not in page
    assert english.post(f"/sales/leads/{lead.pk}/unmask/").status_code == 403
    assert api(owner).post(f"/api/v1/leads/{lead.pk}/unmask/").status_code == 403
    assert not UnmaskLog.objects.exists()


def test_the_unmask_log_entry_outlives_the_deleted_lead(owner, lead):
    from kehu.sales.services.leads import lead_delete, lead_unmask

    lead_unmask(lead=lead, by=owner, ip_address=None)
    lead_delete(lead=lead, by=owner)

    entry = UnmaskLog.objects.get()
    assert entry.lead_id is None
    assert entry.field == LEAD_MOBILE
