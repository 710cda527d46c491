"""Field security per role (hidden, masked, visible) on the list, the 360 page, the API and the
export; the unmask stays an explicit, logged action; a value that fails to decrypt gives a
clear page instead of a bare server error."""

import pytest
from django.db import connection
from django.urls import reverse

from kehu.accounts.models import Role
from kehu.core.permissions import can_unmask
from kehu.customers.models import FieldLevel, FieldSecurity, UnmaskLog
from kehu.customers.sensitive import CONTACT_MOBILE, field_level
from kehu.customers.tests.factories import make_customer
from kehu.customers.validators import mask_mobile

MOBILE = "13955501234"
MASKED = mask_mobile(MOBILE)


@pytest.fixture
def customer(org):
    return make_customer(
        owner=org.owner,
        name="杭州字段安全科技有限公司",
        decision_maker={"name": "周敏", "title": "总经理", "mobile": MOBILE},
    )


def set_level(role_code: str, level: str) -> None:
    FieldSecurity.objects.update_or_create(
        role=Role.objects.get(code=role_code), field=CONTACT_MOBILE, defaults={"level": level}
    )


def pages(client, user, customer) -> dict[str, str]:
    client.force_login(user)
    return {
        "list": client.get(reverse("customers:list")).content.decode(),
        "detail": client.get(reverse("customers:detail", args=[customer.pk])).content.decode(),
        "api": client.get(f"/api/v1/customers/{customer.pk}/").content.decode(),
        "api contacts": client.get(f"/api/v1/customers/{customer.pk}/contacts/").content.decode(),
        "export": client.get("/data-quality/export/customers.csv?unmasked=1").content.decode(
            "utf-8-sig"
        ),
    }


# --- defaults -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_default_levels_keep_who_could_unmask_before(org, customer):
    assert field_level(org.owner, CONTACT_MOBILE) == FieldLevel.VISIBLE
    assert field_level(org.administrator, CONTACT_MOBILE) == FieldLevel.VISIBLE
    assert field_level(org.steward, CONTACT_MOBILE) == FieldLevel.VISIBLE
    assert field_level(org.marketing, CONTACT_MOBILE) == FieldLevel.MASKED
    assert can_unmask(org.owner, customer)
    assert not can_unmask(org.marketing, customer)


@pytest.mark.django_db
def test_the_widest_level_of_a_users_roles_applies(org):
    set_level("sales", FieldLevel.HIDDEN)
    # The manager is also in the manager role, which stays visible.
    assert field_level(org.manager, CONTACT_MOBILE) == FieldLevel.VISIBLE
    assert field_level(org.owner, CONTACT_MOBILE) == FieldLevel.HIDDEN


# --- hidden ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_hidden_mobile_appears_nowhere_for_that_role(client, org, customer):
    set_level("sales", FieldLevel.HIDDEN)

    seen = pages(client, org.owner, customer)

    for where, text in seen.items():
        assert MOBILE not in text, where
        assert MASKED not in text, where
    assert '"mobile"' not in seen["api"]
    assert '"mobile"' not in seen["api contacts"]
    assert "周敏" in seen["detail"]  # the contact is there, without the number
    assert "手机" not in seen["export"].splitlines()[0]
    unmask = client.post(reverse("customers:unmask", args=[customer.pk]))
    assert unmask.status_code == 403
    assert not UnmaskLog.objects.exists()


# --- masked ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_masked_mobile_shows_masked_everywhere_and_cannot_be_unmasked(client, org, customer):
    set_level("sales", FieldLevel.MASKED)

    seen = pages(client, org.owner, customer)

    for where, text in seen.items():
        assert MOBILE not in text, where
        assert MASKED in text, where
    assert reverse("customers:unmask", args=[customer.pk]) not in seen["detail"]
    assert not can_unmask(org.owner, customer)
    response = client.post(f"/api/v1/customers/{customer.pk}/unmask/")
    assert response.status_code == 403
    assert not UnmaskLog.objects.exists()


# --- visible --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_visible_mobile_is_still_masked_until_the_logged_unmask(client, org, customer):
    seen = pages(client, org.owner, customer)
    for where in ("list", "detail", "api", "api contacts"):
        assert MOBILE not in seen[where], where
        assert MASKED in seen[where], where

    response = client.post(reverse("customers:unmask", args=[customer.pk]), REMOTE_ADDR="10.1.2.3")

    assert MOBILE in response.content.decode()
    log = UnmaskLog.objects.latest("at")
    assert (log.user, log.customer, log.contact, log.field) == (
        org.owner,
        customer,
        customer.decision_maker,
        "mobile",
    )
    assert log.ip_address == "10.1.2.3"
    assert log.at is not None


@pytest.mark.django_db
def test_an_unmasked_export_logs_each_revealed_record(client, org, customer):
    client.force_login(org.owner)

    content = client.get(
        "/data-quality/export/customers.csv?unmasked=1", REMOTE_ADDR="10.9.8.7"
    ).content.decode("utf-8-sig")

    assert MOBILE in content
    log = UnmaskLog.objects.get(customer=customer)
    assert (log.user, log.contact, log.ip_address) == (
        org.owner,
        customer.decision_maker,
        "10.9.8.7",
    )


# --- the administrators' page ---------------------------------------------------------------
@pytest.mark.django_db
def test_administrator_changes_a_level_on_the_admin_page(client, org):
    row = FieldSecurity.objects.get(role__code="sales", field=CONTACT_MOBILE)
    client.force_login(org.administrator)
    url = reverse("admin:customers_fieldsecurity_change", args=[row.pk])

    response = client.post(url, {"role": row.role_id, "field": CONTACT_MOBILE, "level": "hidden"})

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.level == FieldLevel.HIDDEN


@pytest.mark.django_db
def test_non_administrators_can_neither_see_nor_edit_field_security(client, org):
    row = FieldSecurity.objects.get(role__code="sales", field=CONTACT_MOBILE)
    client.force_login(org.manager)
    url = reverse("admin:customers_fieldsecurity_change", args=[row.pk])

    assert client.get(url).status_code in (302, 403, 404)
    client.post(url, {"role": row.role_id, "field": CONTACT_MOBILE, "level": "visible"})
    client.post(url, {"role": row.role_id, "field": CONTACT_MOBILE, "level": "hidden"})

    row.refresh_from_db()
    assert row.level == FieldLevel.VISIBLE


# --- a value that cannot be decrypted -------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.usefixtures("english")
def test_tampered_mobile_gives_a_clear_page_and_api_error_and_changes_nothing(
    client, org, customer
):
    contact = customer.decision_maker
    with connection.cursor() as cursor:
        cursor.execute("SELECT mobile FROM customers_contact WHERE id = %s", [contact.pk])
        (token,) = cursor.fetchone()
        tampered = token[:-6] + ("AAAA" if token[-6:-2] != "AAAA" else "BBBB") + token[-2:]
        cursor.execute(
            "UPDATE customers_contact SET mobile = %s WHERE id = %s", [tampered, contact.pk]
        )
    client.force_login(org.owner)

    page = client.get(reverse("customers:detail", args=[customer.pk]))
    api = client.get(f"/api/v1/customers/{customer.pk}/contacts/")

    assert page.status_code == 500
    assert "cannot be decrypted" in page.content.decode()
    assert "Nothing was changed" in page.content.decode()
    assert api.status_code == 500
    assert api.json()["code"] == "decryption_failed"
    with connection.cursor() as cursor:
        cursor.execute("SELECT mobile FROM customers_contact WHERE id = %s", [contact.pk])
        assert cursor.fetchone() == (tampered,)


# --- custom fields marked sensitive ---------------------------------------------------------
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def id_field(db):
    from kehu.customers.models import CustomFieldDefinition

    return CustomFieldDefinition.objects.create(
        key="id_number",
        label_zh="身份证号",
        label_en="ID number",
        field_type="text",
        sensitive=True,
    )


@pytest.fixture
def person(org, id_field):
    return make_customer(
        owner=org.owner,
        name="钱多多",
        customer_type="individual",
        custom_fields={"id_number": ID_NUMBER},
    )


@pytest.mark.django_db
def test_sensitive_custom_value_is_ciphertext_in_the_raw_database(org, person):
    from kehu.customers.models import Customer

    for table in ("customers_customer", "customers_historicalcustomer"):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT custom_fields FROM {table}")  # noqa: S608
            raw = " ".join(str(row[0]) for row in cursor.fetchall())
        assert ID_NUMBER not in raw, table
        assert "$enc" in raw, table
    assert Customer.objects.get(pk=person.pk).custom_fields == {"id_number": ID_NUMBER}


@pytest.mark.django_db
@pytest.mark.usefixtures("english")
def test_sensitive_custom_value_is_masked_then_revealed_and_logged(client, org, person):
    set_custom = FieldSecurity.objects.create
    set_custom(role=Role.objects.get(code="sales"), field="custom.id_number", level="visible")
    client.force_login(org.owner)
    detail = client.get(reverse("customers:detail", args=[person.pk])).content.decode()
    api = client.get(f"/api/v1/customers/{person.pk}/").content.decode()

    assert ID_NUMBER not in detail
    assert "1****X" in detail
    assert ID_NUMBER not in api

    response = client.post(
        reverse("customers:unmask", args=[person.pk]),
        {"field": "custom.id_number"},
        HTTP_HX_REQUEST="true",
    )
    assert ID_NUMBER in response.content.decode()
    assert UnmaskLog.objects.get(field="custom.id_number").user == org.owner


@pytest.mark.django_db
def test_sensitive_custom_value_without_a_visible_level_cannot_be_revealed(client, org, person):
    client.force_login(org.owner)  # no row for custom.id_number: masked by default

    response = client.post(
        reverse("customers:unmask", args=[person.pk]), {"field": "custom.id_number"}
    )

    assert response.status_code == 403
    assert not UnmaskLog.objects.exists()


@pytest.mark.django_db
def test_hidden_sensitive_custom_value_is_left_out(client, org, person):
    FieldSecurity.objects.create(
        role=Role.objects.get(code="sales"), field="custom.id_number", level="hidden"
    )
    seen = pages(client, org.owner, person)
    for where, text in seen.items():
        assert ID_NUMBER not in text, where
        assert "1****X" not in text, where
    assert "id_number" not in seen["api"]


@pytest.mark.django_db
def test_outsider_cannot_reveal_a_sensitive_custom_value(client, org, person):
    FieldSecurity.objects.create(
        role=Role.objects.get(code="sales"), field="custom.id_number", level="visible"
    )
    client.force_login(org.outsider)

    response = client.post(
        reverse("customers:unmask", args=[person.pk]), {"field": "custom.id_number"}
    )

    assert response.status_code == 404
    assert not UnmaskLog.objects.exists()


@pytest.mark.django_db
def test_edit_form_shows_a_sensitive_value_masked_and_keeps_it_when_left_so(client, org, person):
    from kehu.customers.forms import CustomerForm

    form = CustomerForm(user=org.owner, instance=person)
    assert form.initial["cf_id_number"] == "1****X"
    data = {**form.initial, "cf_id_number": "1****X"}
    form = CustomerForm(data, user=org.owner, instance=person)
    assert form.is_valid(), form.errors
    assert "id_number" not in form.custom_field_data()


# --- leads ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_lead_mobile_per_level_on_the_list_detail_and_api(client, org):
    from kehu.customers.sensitive import LEAD_MOBILE
    from kehu.sales.tests.factories import make_lead

    lead = make_lead(owner=org.owner, mobile=MOBILE)
    client.force_login(org.owner)

    def seen() -> dict[str, str]:
        return {
            "list": client.get("/sales/leads/").content.decode(),
            "detail": client.get(f"/sales/leads/{lead.pk}/").content.decode(),
            "api": client.get(f"/api/v1/leads/{lead.pk}/").content.decode(),
        }

    visible = seen()  # sales: visible, still masked until a logged reveal (like contacts)
    for where, text in visible.items():
        assert MOBILE not in text, where
        assert MASKED in text, where

    FieldSecurity.objects.filter(role__code="sales", field=LEAD_MOBILE).update(level="masked")
    for where, text in seen().items():
        assert MOBILE not in text, where
        assert MASKED in text, where

    FieldSecurity.objects.filter(role__code="sales", field=LEAD_MOBILE).update(level="hidden")
    for where, text in seen().items():
        assert MOBILE not in text, where
        assert MASKED not in text, where


@pytest.mark.django_db
def test_lead_list_finds_a_lead_by_the_last_4_digits_of_its_mobile(client, org):
    from kehu.sales.tests.factories import make_lead

    make_lead(owner=org.owner, name="找得到", mobile=MOBILE)
    make_lead(owner=org.owner, name="别的线索", mobile="13700002222")
    client.force_login(org.owner)

    page = client.get("/sales/leads/", {"q": MOBILE[-4:]}).content.decode()

    assert "找得到" in page
    assert "别的线索" not in page


@pytest.mark.django_db
def test_a_field_marked_sensitive_elsewhere_is_encrypted_here_once_the_version_moves(
    org, monkeypatch
):
    """The sensitive keys live in the reference cache: another app server marks a field
    sensitive (here: an update that sends no signal, and the shared version it bumps), and
    this process encrypts the next value it writes, with no restart."""
    from django.core.cache import cache

    from kehu.core import refcache
    from kehu.customers.models import Customer, CustomFieldDefinition
    from kehu.customers.sensitive import sensitive_custom_keys

    CustomFieldDefinition.objects.create(
        key="passport", label_zh="护照号", label_en="Passport", field_type="text"
    )
    assert "passport" not in sensitive_custom_keys()  # now cached in this process

    CustomFieldDefinition.objects.filter(key="passport").update(sensitive=True)
    cache.set(refcache.VERSION_KEY, cache.get(refcache.VERSION_KEY, 0) + 1, timeout=None)
    monkeypatch.setattr(refcache, "VERSION_CHECK_SECONDS", 0.0)

    assert "passport" in sensitive_custom_keys()
    customer = make_customer(
        owner=org.owner,
        name="孙护照",
        customer_type="individual",
        custom_fields={"passport": "E1234567"},
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT custom_fields FROM customers_customer WHERE id = %s", [customer.pk])
        raw = str(cursor.fetchone()[0])
    assert "E1234567" not in raw
    assert Customer.objects.get(pk=customer.pk).custom_fields == {"passport": "E1234567"}


@pytest.mark.django_db
def test_marking_a_field_sensitive_here_takes_effect_at_once(org):
    from kehu.customers.models import CustomFieldDefinition
    from kehu.customers.sensitive import sensitive_custom_keys

    field = CustomFieldDefinition.objects.create(
        key="passport", label_zh="护照号", label_en="Passport", field_type="text"
    )
    assert "passport" not in sensitive_custom_keys()
    field.sensitive = True
    field.save()
    assert "passport" in sensitive_custom_keys()
