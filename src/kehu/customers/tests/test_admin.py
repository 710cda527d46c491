"""Admin for customer configuration; customers and contacts are read-only there."""

from django.conf import settings

from kehu.customers.models import Contact, Customer, CustomFieldDefinition, Industry, UnmaskLog
from kehu.customers.services import contact_update
from kehu.customers.tests.factories import make_customer


def test_customer_is_read_only_in_the_admin(client, administrator, customer):
    client.force_login(administrator)
    url = f"/admin/customers/customer/{customer.pk}/"

    page = client.get(f"{url}change/")

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(f"{url}change/", {"name": "改名有限公司"}).status_code == 403
    assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/customers/customer/add/").status_code == 403
    customer.refresh_from_db()
    assert customer.name == "上海东方精密机械有限公司"


def test_customer_history_cannot_be_reverted_from_the_admin(client, administrator, customer):
    client.force_login(administrator)
    record = customer.history.first()
    url = f"/admin/customers/customer/{customer.pk}/history/{record.history_id}/"

    assert client.get(f"/admin/customers/customer/{customer.pk}/history/").status_code == 200
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 403


def test_mobile_numbers_stay_masked_in_the_admin(client, administrator, owner, customer):
    contact = customer.contacts.get()
    old_mobile = contact.mobile
    contact_update(contact=contact, by=owner, data={"mobile": "13912345678"}, expected_version=1)
    client.force_login(administrator)

    pages = [
        client.get(f"/admin/customers/customer/{customer.pk}/change/"),
        client.get("/admin/customers/contact/"),
        client.get(f"/admin/customers/contact/{contact.pk}/change/"),
        client.get(f"/admin/customers/contact/{contact.pk}/history/"),
    ]

    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert "13912345678" not in html
        assert old_mobile not in html
    assert "139****5678" in pages[0].content.decode()
    assert "139****5678" in pages[3].content.decode()


def test_customer_list_does_not_query_per_row(
    client, administrator, owner, django_assert_max_num_queries
):
    for n in range(15):
        make_customer(owner=owner, name=f"上海第{n}精密机械有限公司")
    client.force_login(administrator)

    with django_assert_max_num_queries(15):
        response = client.get("/admin/customers/customer/")

    assert response.status_code == 200
    assert response.context["cl"].result_count == Customer.objects.count() == 15


def test_custom_field_definition_is_validated_by_the_model(client, administrator):
    client.force_login(administrator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the message is read in English
    data = {
        "key": "level",
        "label_zh": "客户等级",
        "label_en": "Level",
        "field_type": "choice",
        "choices": "[]",
        "sort_order": 0,
        "is_active": "on",
    }

    refused = client.post("/admin/customers/customfielddefinition/add/", data)
    accepted = client.post(
        "/admin/customers/customfielddefinition/add/", {**data, "choices": '["A", "B"]'}
    )

    assert refused.status_code == 200
    assert "at least one non-empty option" in refused.content.decode()
    assert accepted.status_code == 302
    assert CustomFieldDefinition.objects.get(key="level").choices == ["A", "B"]


def test_custom_field_key_and_type_are_fixed_once_created(client, administrator):
    definition = CustomFieldDefinition.objects.create(
        key="level", label_zh="等级", label_en="Level", field_type="text"
    )
    client.force_login(administrator)

    response = client.post(
        f"/admin/customers/customfielddefinition/{definition.pk}/change/",
        {
            "key": "renamed",
            "label_zh": "客户等级",
            "label_en": "Level",
            "field_type": "number",
            "choices": "[]",
            "sort_order": 0,
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    definition.refresh_from_db()
    assert (definition.key, definition.field_type, definition.label_zh) == (
        "level",
        "text",
        "客户等级",
    )
    delete = f"/admin/customers/customfielddefinition/{definition.pk}/delete/"
    assert client.get(delete).status_code == 403


def industry_form(industry: Industry, parent: Industry) -> dict:
    return {
        "parent": parent.pk,
        "code": industry.code,
        "name_zh": industry.name_zh,
        "name_en": industry.name_en,
        "sort_order": industry.sort_order,
        "is_active": "on",
    }


def test_industries_stay_two_levels(client, administrator):
    client.force_login(administrator)
    manufacturing, retail, software, auto_parts = (
        Industry.objects.get(code=code)
        for code in ("manufacturing", "retail", "software_it", "auto_parts")
    )

    def move(industry, parent):
        return client.post(
            f"/admin/customers/industry/{industry.pk}/change/", industry_form(industry, parent)
        )

    assert move(software, auto_parts).status_code == 200  # a sub-entry is no parent
    assert move(manufacturing, retail).status_code == 200  # it has sub-entries itself
    assert move(auto_parts, retail).status_code == 302
    assert Industry.objects.get(code="software_it").parent is None
    assert Industry.objects.get(code="manufacturing").parent is None
    assert Industry.objects.get(code="auto_parts").parent == retail


def test_unmask_log_is_read_only(client, administrator, owner, customer):
    UnmaskLog.objects.create(user=owner, customer=customer, field="mobile")
    client.force_login(administrator)

    assert client.get("/admin/customers/unmasklog/").status_code == 200
    assert client.get("/admin/customers/unmasklog/add/").status_code == 403
    assert client.get("/admin/customers/contact/add/").status_code == 403
    assert Contact.objects.count() == 1
