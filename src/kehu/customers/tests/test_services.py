"""Customer and contact services against the database: validation on every field, no partial
writes, optimistic locking, history, unmask logging."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kehu.customers.models import (
    Contact,
    Customer,
    CustomFieldDefinition,
    Industry,
    Region,
    UnmaskLog,
)
from kehu.customers.sensitive import mobile_last4_index
from kehu.customers.services import (
    StaleEditError,
    contact_create,
    contact_delete,
    contact_make_decision_maker,
    contact_update,
    customer_create,
    customer_unmask,
    customer_update,
)
from kehu.customers.tests.factories import customer_data, make_customer, next_mobile


def _create(owner, **overrides):
    dm = overrides.pop(
        "decision_maker", {"name": "王建国", "title": "采购总监", "mobile": next_mobile()}
    )
    custom = overrides.pop("custom_fields", None)
    return customer_create(
        by=owner,
        owner=owner,
        data=customer_data(**overrides),
        decision_maker=dm,
        custom_fields=custom,
    )


def _errors(exc_info) -> dict:
    return exc_info.value.message_dict


def test_customer_gets_cx_month_serial_code_and_derived_fields(owner):
    customer = _create(owner, name="腾讯科技（深圳）有限公司")

    prefix = f"CX{timezone.localdate():%Y%m}"
    assert customer.code.startswith(prefix)
    assert len(customer.code) == len(prefix) + 5
    assert customer.name_initials.startswith("txkj")
    assert customer.department == owner.department
    maker = customer.decision_maker
    assert maker.mobile_last4_hash == mobile_last4_index(maker.mobile[-4:])


def test_codes_are_sequential_and_never_reused(owner):
    first = _create(owner, name="甲方科技有限公司")
    second = _create(owner, name="乙方科技有限公司")

    assert int(second.code[-5:]) == int(first.code[-5:]) + 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "腾讯科技"),
        ("scale", ""),
        ("scale", "huge"),
        ("source", "newspaper"),
        ("status", "following"),
        ("first_contact_date", None),
        ("first_contact_date", dt.date(2999, 1, 1)),
        ("annual_budget", Decimal("-1")),
        ("credit_code", "91350100M000100Y44"),
        ("enterprise_type", "joint"),
        ("customer_type", "robot"),
        ("street", "路" * 200),
    ],
)
def test_each_invalid_field_is_named_and_nothing_is_saved(owner, field, value):
    with pytest.raises(ValidationError) as info:
        _create(owner, **{field: value})

    assert field in _errors(info)
    assert Customer.objects.count() == 0
    assert Contact.objects.count() == 0


def test_category_industry_is_refused_in_favour_of_a_specific_one(owner):
    with pytest.raises(ValidationError) as info:
        _create(owner, industry=Industry.objects.get(code="manufacturing"))
    assert "industry" in _errors(info)


def test_area_is_refused_in_favour_of_a_province(owner):
    with pytest.raises(ValidationError) as info:
        _create(owner, region=Region.objects.get(code="north"))
    assert "region" in _errors(info)


def test_decision_maker_name_and_mobile_are_required_and_checked(owner):
    with pytest.raises(ValidationError) as info:
        _create(owner, decision_maker={"name": "", "mobile": "12345678901"})

    errors = _errors(info)
    assert "decision_maker.name" in errors
    assert "decision_maker.mobile" in errors
    assert Customer.objects.count() == 0


def test_missing_decision_maker_mobile_is_refused(owner):
    with pytest.raises(ValidationError) as info:
        _create(owner, decision_maker={"name": "王建国", "mobile": ""})
    assert "decision_maker.mobile" in _errors(info)


def test_all_errors_are_reported_at_once(owner):
    with pytest.raises(ValidationError) as info:
        _create(owner, name="腾讯", scale="", decision_maker={"name": "王", "mobile": "1"})
    assert {"name", "scale", "decision_maker.mobile"} <= set(_errors(info))


def test_credit_code_is_unique_when_present(owner):
    _create(owner, name="甲方科技有限公司", credit_code="91350100M000100Y43")
    _create(owner, name="乙方科技有限公司", credit_code=None)
    _create(owner, name="丙方科技有限公司", credit_code=None)

    with pytest.raises(ValidationError) as info:
        _create(owner, name="丁方科技有限公司", credit_code="91350100m000100y43")
    assert "credit_code" in _errors(info)


def test_sales_rep_cannot_assign_customer_to_another_department(org):
    with pytest.raises(ValidationError) as info:
        customer_create(
            by=org.owner,
            owner=org.outsider,
            data=customer_data(),
            decision_maker={"name": "王建国", "mobile": next_mobile()},
        )
    assert "owner" in _errors(info)


def test_manager_may_assign_within_department_tree(org):
    customer = customer_create(
        by=org.manager,
        owner=org.outsider,
        data=customer_data(),
        decision_maker={"name": "王建国", "mobile": next_mobile()},
    )
    assert customer.owner == org.outsider
    assert customer.department == org.north


@pytest.fixture
def custom_fields(db):
    return [
        CustomFieldDefinition.objects.create(
            key="revenue",
            label_zh="年营业额",
            label_en="Revenue",
            field_type="number",
            min_value=0,
            max_value=1_000_000,
            required=True,
        ),
        CustomFieldDefinition.objects.create(
            key="founded", label_zh="成立日期", label_en="Founded", field_type="date"
        ),
        CustomFieldDefinition.objects.create(
            key="product",
            label_zh="意向产品",
            label_en="Product",
            field_type="choice",
            choices=["CRM", "ERP"],
        ),
        CustomFieldDefinition.objects.create(
            key="wechat", label_zh="微信", label_en="WeChat", field_type="text", max_length=20
        ),
    ]


def test_custom_fields_of_every_type_are_cleaned_and_stored(owner, custom_fields):
    customer = _create(
        owner,
        custom_fields={
            "revenue": "1,200",
            "founded": "2001-05-01",
            "product": "CRM",
            "wechat": " kehu_crm ",
        },
    )
    assert customer.custom_fields == {
        "revenue": 1200,
        "founded": "2001-05-01",
        "product": "CRM",
        "wechat": "kehu_crm",
    }


@pytest.mark.parametrize(
    ("values", "bad_key"),
    [
        ({}, "revenue"),
        ({"revenue": "lots"}, "revenue"),
        ({"revenue": "-5"}, "revenue"),
        ({"revenue": "2000000"}, "revenue"),
        ({"revenue": 1, "founded": "01/05/2001"}, "founded"),
        ({"revenue": 1, "product": "OA"}, "product"),
        ({"revenue": 1, "wechat": "x" * 21}, "wechat"),
        ({"revenue": 1, "colour": "red"}, "colour"),
    ],
)
def test_invalid_custom_values_are_refused_naming_the_field(owner, custom_fields, values, bad_key):
    with pytest.raises(ValidationError) as info:
        _create(owner, custom_fields=values)
    assert f"custom_fields.{bad_key}" in _errors(info)
    assert Customer.objects.count() == 0


def test_custom_field_definition_rules(db):
    bad = CustomFieldDefinition(key="Bad Key", label_zh="x", label_en="x", field_type="choice")
    with pytest.raises(ValidationError) as info:
        bad.full_clean()
    assert {"key", "choices"} <= set(_errors(info))


def test_update_changes_fields_and_records_history(customer, owner):
    updated = customer_update(
        customer=customer, by=owner, data={"scale": "large"}, expected_version=customer.version
    )

    assert updated.scale == "large"
    assert updated.version == customer.version + 1
    last = Customer.history.filter(id=customer.pk).order_by("-history_date").first()
    assert last.history_user == owner
    assert last.diff_against(last.prev_record).changed_fields == ["scale"]


def test_stale_edit_is_refused_and_the_first_edit_survives(customer, owner, manager):
    version = customer.version
    customer_update(
        customer=customer, by=manager, data={"city": "苏州市"}, expected_version=version
    )

    with pytest.raises(StaleEditError):
        customer_update(
            customer=customer, by=owner, data={"city": "杭州市"}, expected_version=version
        )

    customer.refresh_from_db()
    assert customer.city == "苏州市"


def test_update_without_version_is_refused(customer, owner):
    with pytest.raises(StaleEditError):
        customer_update(customer=customer, by=owner, data={"city": "苏州市"}, expected_version=None)


def test_invalid_update_changes_nothing(customer, owner):
    with pytest.raises(ValidationError):
        customer_update(
            customer=customer,
            by=owner,
            data={"city": "苏州市", "name": "腾讯"},
            decision_maker={"mobile": "123"},
            expected_version=customer.version,
        )
    customer.refresh_from_db()
    assert customer.city == "北京市"
    assert customer.version == 1


def test_update_does_not_change_status(customer, owner):
    customer_update(
        customer=customer, by=owner, data={"status": "lost"}, expected_version=customer.version
    )
    customer.refresh_from_db()
    assert customer.status == "interested"


def test_read_only_user_cannot_update(customer, org):
    with pytest.raises(PermissionDenied):
        customer_update(
            customer=customer, by=org.service, data={"city": "x"}, expected_version=customer.version
        )


def test_decision_maker_update_is_recorded_in_contact_history(customer, owner):
    customer_update(
        customer=customer,
        by=owner,
        data={},
        decision_maker={"title": "总经理"},
        expected_version=customer.version,
    )
    dm = customer.contacts.get(is_decision_maker=True)
    assert dm.title == "总经理"
    assert dm.history.count() == 2


def test_exactly_one_decision_maker_after_moving_the_mark(customer, owner):
    other = contact_create(
        customer=customer,
        by=owner,
        data={"name": "李娜", "mobile": next_mobile(), "title": "财务经理"},
    )

    contact_make_decision_maker(contact=other, by=owner)

    assert list(customer.contacts.filter(is_decision_maker=True)) == [other]


def test_decision_maker_cannot_be_deleted(customer, owner):
    with pytest.raises(ValidationError):
        contact_delete(contact=customer.contacts.get(), by=owner)


def test_contact_stale_edit_is_refused(customer, owner):
    contact = customer.contacts.get()
    contact_update(contact=contact, by=owner, data={"title": "总监"}, expected_version=1)
    with pytest.raises(StaleEditError):
        contact_update(contact=contact, by=owner, data={"title": "经理"}, expected_version=1)


def test_contact_with_bad_email_is_refused(customer, owner):
    with pytest.raises(ValidationError) as info:
        contact_create(customer=customer, by=owner, data={"name": "李娜", "email": "not-an-email"})
    assert "email" in _errors(info)


def test_unmask_reveals_numbers_and_logs_each_one(customer, owner):
    revealed = customer_unmask(customer=customer, by=owner, ip_address="127.0.0.1")

    dm = customer.contacts.get()
    assert revealed == {dm.pk: dm.mobile}
    log = UnmaskLog.objects.get()
    assert (log.user, log.customer, log.contact, log.ip_address) == (
        owner,
        customer,
        dm,
        "127.0.0.1",
    )


def test_unmask_is_refused_to_roles_without_the_right(customer, org):
    with pytest.raises(PermissionDenied):
        customer_unmask(customer=customer, by=org.marketing, ip_address=None)
    assert UnmaskLog.objects.count() == 0


def test_sales_may_unmask_only_what_they_may_edit(customer, org):
    from kehu.customers.models import ShareAccess
    from kehu.customers.services import customer_share_set

    customer_share_set(customer=customer, user=org.outsider, access=ShareAccess.READ, by=org.owner)
    with pytest.raises(PermissionDenied):
        customer_unmask(customer=customer, by=org.outsider, ip_address=None)


def test_individual_customer_with_a_persons_name(owner):
    customer = _create(
        owner, customer_type="individual", name="张伟", industry=None, enterprise_type=""
    )
    assert customer.name == "张伟"


def test_make_customer_factory_round_trip(owner):
    assert make_customer(owner=owner, name="杭州西湖茶业有限公司").owner == owner


def test_values_of_a_deactivated_custom_field_survive_later_updates(owner, custom_fields):
    customer = _create(owner, custom_fields={"revenue": 10, "wechat": "kehu"})
    CustomFieldDefinition.objects.filter(key="wechat").update(is_active=False)

    updated = customer_update(
        customer=customer,
        by=owner,
        data={},
        custom_fields={"revenue": 20},
        expected_version=customer.version,
    )

    assert updated.custom_fields == {"revenue": 20, "wechat": "kehu"}


def test_address_does_not_repeat_a_municipality(owner):
    customer = _create(owner, city="北京市", district="海淀区", street="中关村大街1号")
    assert customer.address == "北京市海淀区中关村大街1号"
