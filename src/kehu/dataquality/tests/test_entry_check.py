"""The duplicate warning on entry (撞单): form, HTMX check, "ask the owner" and API."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_customer
from kehu.customers.tests.test_views import create_data
from kehu.dataquality.entry_check import probable_duplicates
from kehu.interactions.models import Notification

EXISTING = "杭州西湖数据科技有限公司"
EXISTING_MOBILE = "13955550001"


@pytest.fixture
def existing(owner):
    return make_customer(
        owner=owner,
        name=EXISTING,
        decision_maker={"name": "周杰", "title": "CTO", "mobile": EXISTING_MOBILE},
    )


def api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


# --- the selector ----------------------------------------------------------------------------
def test_name_with_region_in_brackets_is_found_with_its_reasons(owner, existing):
    found = probable_duplicates(viewer=owner, name="杭州西湖数据科技（杭州）有限公司")

    assert [d.code for d in found] == [existing.code]
    assert found[0].visible
    assert found[0].name == EXISTING
    assert found[0].reasons


def test_same_decision_maker_mobile_is_found_under_another_name(owner, existing):
    found = probable_duplicates(
        viewer=owner, name="浙江完全不同贸易有限公司", contact_name="周杰", mobile="139 5555 0001"
    )

    assert [d.code for d in found] == [existing.code]


def test_unrelated_company_is_not_a_duplicate(owner, existing):
    assert probable_duplicates(viewer=owner, name="成都蓉城火锅餐饮管理有限公司") == []


def test_outsider_learns_only_code_and_owner_of_a_hidden_duplicate(org, existing):
    found = probable_duplicates(viewer=org.outsider, name=EXISTING, mobile=EXISTING_MOBILE)

    assert len(found) == 1
    hidden = found[0]
    assert not hidden.visible
    assert hidden.code == existing.code
    assert hidden.owner_name == org.owner.display_name
    assert (hidden.name, hidden.url, hidden.reasons) == ("", "", [])


def test_the_record_being_edited_is_not_its_own_duplicate(owner, existing):
    assert probable_duplicates(viewer=owner, name=EXISTING, exclude_id=existing.pk) == []


# --- the form --------------------------------------------------------------------------------
def test_form_warns_before_saving_a_probable_duplicate_and_saves_nothing(client, owner, existing):
    client.force_login(owner)

    response = client.post(reverse("customers:create"), create_data(owner=owner.pk))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="duplicate-warning"' in content
    assert existing.code in content
    assert Customer.objects.filter(name=EXISTING).count() == 1
    assert response.context["form"].data["confirmed_duplicates"] == existing.code


def test_saving_again_after_the_warning_creates_the_customer(client, owner, existing):
    client.force_login(owner)

    response = client.post(
        reverse("customers:create"),
        create_data(owner=owner.pk, confirmed_duplicates=existing.code),
    )

    assert response.status_code == 302
    assert Customer.objects.filter(name=EXISTING).count() == 2


def test_confirming_one_duplicate_does_not_confirm_another(client, owner, existing):
    client.force_login(owner)

    response = client.post(
        reverse("customers:create"), create_data(owner=owner.pk, confirmed_duplicates="CX000")
    )

    assert response.status_code == 200
    assert Customer.objects.filter(name=EXISTING).count() == 1


def test_outsider_form_warning_hides_the_existing_records_details(client, org, existing):
    client.force_login(org.outsider)

    response = client.post(
        reverse("customers:create"), create_data(owner=org.outsider.pk, dm_mobile=EXISTING_MOBILE)
    )

    content = response.content.decode()
    assert existing.code in content
    assert org.owner.display_name in content
    assert reverse("customers:detail", args=[existing.pk]) not in content
    assert "周杰" not in content.split('id="duplicate-warning"')[1].split("</div>")[0]


def test_live_check_returns_the_warning_partial(client, owner, existing):
    client.force_login(owner)

    response = client.post(
        reverse("dataquality:duplicate-check"), {"name": "杭州西湖数据科技(杭州)有限公司"}
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="duplicate-warning"')
    assert existing.code in content


def test_live_check_with_nothing_entered_shows_no_warning(client, owner, existing):
    client.force_login(owner)

    response = client.post(reverse("dataquality:duplicate-check"), {})

    assert 'data-testid="duplicate-warning"' not in response.content.decode()


def test_outsider_may_ask_the_owner_of_a_hidden_duplicate(client, org, existing):
    client.force_login(org.outsider)

    response = client.post(
        reverse("dataquality:duplicate-ask"),
        {"code": existing.code, "name": EXISTING, "dm_mobile": EXISTING_MOBILE},
    )

    assert response.status_code == 200
    notice = Notification.objects.get(recipient=org.owner)
    assert existing.code in notice.title
    assert org.outsider.display_name in notice.title
    assert notice.url == reverse("customers:detail", args=[existing.pk])


def test_asking_about_a_code_that_is_not_a_duplicate_of_the_entry_is_refused(client, org, existing):
    client.force_login(org.outsider)

    response = client.post(
        reverse("dataquality:duplicate-ask"),
        {"code": existing.code, "name": "成都蓉城火锅餐饮管理有限公司"},
    )

    assert response.status_code == 404
    assert not Notification.objects.exists()


def test_duplicate_check_requires_login(client, existing):
    response = client.post(reverse("dataquality:duplicate-check"), {"name": EXISTING})

    assert response.status_code == 302


# --- the API ---------------------------------------------------------------------------------
def _payload(**overrides):
    from kehu.customers.tests.test_api import payload

    return payload(name=EXISTING, **overrides)


def test_api_create_of_a_probable_duplicate_is_answered_409_with_the_list(owner, existing):
    response = api(owner).post("/api/v1/customers/", _payload(), format="json")

    assert response.status_code == 409
    assert response.data["code"] == "probable_duplicate"
    assert [d["code"] for d in response.data["duplicates"]] == [existing.code]
    assert response.data["duplicates"][0]["name"] == EXISTING
    assert Customer.objects.filter(name=EXISTING).count() == 1


def test_api_create_with_the_duplicates_confirmed_succeeds(owner, existing):
    response = api(owner).post(
        "/api/v1/customers/", _payload(confirmed_duplicates=[existing.code]), format="json"
    )

    assert response.status_code == 201, response.data
    assert Customer.objects.filter(name=EXISTING).count() == 2


def test_api_409_to_an_outsider_names_only_code_and_owner(org, existing):
    response = api(org.outsider).post(
        "/api/v1/customers/", _payload(owner=org.outsider.pk), format="json"
    )

    assert response.status_code == 409
    (duplicate,) = response.data["duplicates"]
    assert duplicate == {
        "code": existing.code,
        "owner_name": org.owner.display_name,
        "visible": False,
        "score": duplicate["score"],
        "name": "",
        "url": "",
        "reasons": [],
        "pool_entry_id": None,  # not in a pool the outsider may claim from
    }


def test_api_duplicate_check_endpoint(owner, existing):
    response = api(owner).post(
        "/api/v1/customers/duplicate-check/",
        {"name": "杭州西湖數據科技有限公司"},
        format="json",
    )

    assert response.status_code == 200
    assert [d["code"] for d in response.data] == [existing.code]


def test_taken_credit_code_is_refused_as_a_field_error_not_a_warning(owner):
    from kehu.customers.tests.test_api import payload

    client = api(owner)
    client.post("/api/v1/customers/", payload(credit_code="91350100M000100Y43"), format="json")

    response = client.post(
        "/api/v1/customers/", payload(credit_code="91350100M000100Y43"), format="json"
    )

    assert response.status_code == 400
    assert "credit_code" in response.data
