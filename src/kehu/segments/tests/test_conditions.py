"""Segment definitions: strict checking with errors naming the condition, and compiling to a
query that gives the same answers on SQLite and PostgreSQL."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.customers.models import Customer, CustomFieldDefinition, Industry
from kehu.customers.tests.factories import make_customer
from kehu.segments.conditions import check_definition, definition_filter
from kehu.segments.fields import field_catalogue
from kehu.segments.selectors import segment_customers
from kehu.tags.models import CustomerTag, Tag, TagStatus


def _ids(user, definition) -> set[str]:
    cleaned = check_definition(definition)
    return set(segment_customers(user=user, definition=cleaned).values_list("name", flat=True))


def _errors(definition) -> list[str]:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        check_definition(definition)
    return caught.value.message_dict["definition"]


@pytest.fixture
def customers(owner, teammate):
    manufacturing = Industry.objects.get(code="auto_parts")  # under 制造业
    make_customer(
        owner=owner,
        name="甲机械有限公司",
        industry=manufacturing,
        status="interested",
        annual_budget=Decimal("150000"),
    )
    make_customer(
        owner=owner,
        name="乙机械有限公司",
        industry=manufacturing,
        status="interested",
        annual_budget=Decimal("50000"),
    )
    make_customer(
        owner=owner,
        name="丙机械有限公司",
        industry=manufacturing,
        status="prospect",
        annual_budget=None,
    )
    make_customer(
        owner=owner,
        name="丁软件有限公司",
        status="interested",
        annual_budget=Decimal("300000"),
        first_contact_date=dt.date(2026, 1, 5),
    )
    make_customer(
        owner=teammate,
        name="戊机械有限公司",
        industry=manufacturing,
        status="interested",
        annual_budget=Decimal("900000"),
    )


def test_issue_example_industry_status_and_budget_over_10_wan(customers, owner):
    manufacturing = Industry.objects.get(code="manufacturing")
    definition = {
        "conditions": [
            {"field": "industry", "op": "eq", "value": manufacturing.pk},
            {"field": "status", "op": "eq", "value": "interested"},
            {"field": "annual_budget", "op": "gt", "value": "10万"},
        ]
    }

    assert _ids(owner, definition) == {"甲机械有限公司"}


def test_a_shared_definition_shows_each_viewer_only_their_own_scope(customers, owner, manager):
    definition = {"conditions": [{"field": "annual_budget", "op": "gte", "value": 100000}]}

    assert _ids(owner, definition) == {"甲机械有限公司", "丁软件有限公司"}
    assert _ids(manager, definition) == {"甲机械有限公司", "丁软件有限公司", "戊机械有限公司"}


def test_or_groups_match_customers_of_any_group(customers, owner):
    definition = {
        "groups": [
            [{"field": "status", "op": "eq", "value": "prospect"}],
            [{"field": "annual_budget", "op": "between", "value": ["200000", "400000"]}],
        ]
    }

    assert _ids(owner, definition) == {"丙机械有限公司", "丁软件有限公司"}


def test_not_equal_and_empty_include_customers_without_a_value(customers, owner):
    manufacturing = Industry.objects.get(code="manufacturing")

    assert _ids(
        owner, {"conditions": [{"field": "industry", "op": "ne", "value": manufacturing.pk}]}
    ) == {"丁软件有限公司"}
    assert _ids(owner, {"conditions": [{"field": "annual_budget", "op": "empty"}]}) == {
        "丙机械有限公司"
    }
    assert len(_ids(owner, {"conditions": [{"field": "annual_budget", "op": "not_empty"}]})) == 3


def test_in_contains_and_dates(customers, owner):
    assert _ids(
        owner, {"conditions": [{"field": "status", "op": "in", "value": ["prospect", "lost"]}]}
    ) == {"丙机械有限公司"}
    assert _ids(owner, {"conditions": [{"field": "name", "op": "contains", "value": "软件"}]}) == {
        "丁软件有限公司"
    }
    assert _ids(
        owner, {"conditions": [{"field": "first_contact_date", "op": "lt", "value": "2026-02-01"}]}
    ) == {"丁软件有限公司"}
    today = timezone.localdate().isoformat()
    assert (
        len(_ids(owner, {"conditions": [{"field": "created_at", "op": "eq", "value": today}]})) == 4
    )


def test_tags_has_and_has_not(customers, owner):
    tag = Tag.objects.create(tag_type="need", name_zh="需要MES", status=TagStatus.APPROVED)
    tagged = Customer.objects.get(name="甲机械有限公司")
    CustomerTag.objects.create(customer=tagged, tag=tag, added_by=owner)

    assert _ids(owner, {"conditions": [{"field": "tag", "op": "has", "value": tag.pk}]}) == {
        "甲机械有限公司"
    }
    assert "甲机械有限公司" not in _ids(
        owner, {"conditions": [{"field": "tag", "op": "has_not", "value": tag.pk}]}
    )


def test_computed_levels(customers, owner):
    from kehu.tags.classification import classification_compute

    classification_compute()

    assert (
        _ids(owner, {"conditions": [{"field": "level.budget_level", "op": "eq", "value": "gt50w"}]})
        == set()
    )
    assert _ids(
        owner, {"conditions": [{"field": "level.budget_level", "op": "eq", "value": "10to50w"}]}
    ) == {"甲机械有限公司", "丁软件有限公司"}


@pytest.fixture
def custom_fields(db):
    CustomFieldDefinition.objects.create(
        key="employees", label_zh="员工数", label_en="Employees", field_type="number"
    )
    CustomFieldDefinition.objects.create(
        key="visit_on", label_zh="拜访日", label_en="Visited on", field_type="date"
    )
    CustomFieldDefinition.objects.create(
        key="grade", label_zh="等级", label_en="Grade", field_type="choice", choices=["A", "B"]
    )
    CustomFieldDefinition.objects.create(
        key="note__x", label_zh="备注", label_en="Note", field_type="text"
    )


def test_custom_fields_compare_by_type(custom_fields, owner):
    make_customer(
        owner=owner,
        name="一号有限公司",
        custom_fields={
            "employees": 120,
            "visit_on": "2026-03-01",
            "grade": "A",
            "note__x": "老客户",
        },
    )
    make_customer(
        owner=owner,
        name="二号有限公司",
        custom_fields={"employees": 80.5, "visit_on": "2026-10-01", "grade": "B"},
    )
    make_customer(owner=owner, name="三号有限公司")

    def run(field, op, value=None):
        return _ids(owner, {"conditions": [{"field": f"custom.{field}", "op": op, "value": value}]})

    assert run("employees", "gt", "100") == {"一号有限公司"}
    assert run("employees", "lte", "100") == {"二号有限公司"}
    assert run("employees", "eq", "80.5") == {"二号有限公司"}
    assert run("employees", "between", ["80", "120"]) == {"一号有限公司", "二号有限公司"}
    assert run("employees", "empty") == {"三号有限公司"}
    assert run("visit_on", "gte", "2026-06-01") == {"二号有限公司"}
    assert run("grade", "eq", "A") == {"一号有限公司"}
    assert run("grade", "ne", "A") == {"二号有限公司", "三号有限公司"}
    assert run("grade", "in", ["A", "B"]) == {"一号有限公司", "二号有限公司"}
    assert run("note__x", "contains", "老") == {"一号有限公司"}
    assert run("note__x", "not_empty") == {"一号有限公司"}


def test_unknown_field_is_refused_naming_the_condition(db):
    errors = _errors(
        {
            "conditions": [
                {"field": "status", "op": "eq", "value": "lost"},
                {"field": "password", "op": "eq", "value": "x"},
            ]
        }
    )

    assert errors == ["Condition 2: Unknown field “password”."]


def test_operator_that_does_not_fit_the_type_is_refused(db):
    errors = _errors({"conditions": [{"field": "status", "op": "gt", "value": "lost"}]})

    assert errors[0].startswith("Condition 1 (status): The operator “gt” does not apply")


def test_bad_values_are_refused_with_the_group_and_condition(db):
    errors = _errors(
        {
            "groups": [
                [{"field": "status", "op": "eq", "value": "lost"}],
                [
                    {"field": "annual_budget", "op": "gt", "value": "lots"},
                    {"field": "industry", "op": "eq", "value": 999999},
                    {"field": "annual_budget", "op": "between", "value": [5, 1]},
                ],
            ]
        }
    )

    assert errors == [
        "Group 2, condition 1 (annual budget (CNY)): Enter a number.",
        "Group 2, condition 2 (industry): Choose an entry from the list.",
        "Group 2, condition 3 (annual budget (CNY)): "
        "The start of the range must not be after its end.",
    ]


def test_an_empty_or_malformed_definition_is_refused(db):
    assert _errors({"conditions": []}) == ["Add at least one condition."]
    with pytest.raises(ValidationError):
        check_definition([{"field": "status"}])
    with pytest.raises(ValidationError):
        check_definition({"groups": "status = lost"})


@settings(max_examples=60, deadline=None)
@given(
    field=st.sampled_from(
        ["name", "status", "annual_budget", "industry", "tag", "custom.x", "owner"]
    ),
    op=st.sampled_from(["eq", "ne", "in", "gt", "between", "contains", "empty", "has", "drop"]),
    value=st.one_of(
        st.none(), st.text(max_size=30), st.integers(), st.lists(st.text(max_size=5), max_size=3)
    ),
)
def test_any_input_is_either_cleaned_or_refused_never_an_error(field, op, value):
    catalogue = field_catalogue()
    try:
        cleaned = check_definition(
            {"conditions": [{"field": field, "op": op, "value": value}]}, catalogue=catalogue
        )
    except ValidationError:
        return
    str(definition_filter(Customer.objects.all(), cleaned, catalogue=catalogue).query)
    assert check_definition(cleaned, catalogue=catalogue) == cleaned


pytestmark = pytest.mark.django_db
