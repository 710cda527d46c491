"""The fields a segment condition may name (every customer column, tags, the computed levels
and the active custom fields), their kinds, and the operators each kind allows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import Department, User
from kehu.customers.models import (
    Customer,
    CustomerType,
    CustomFieldDefinition,
    CustomFieldType,
    EnterpriseType,
    Industry,
    Region,
    Scale,
    Source,
    Status,
)
from kehu.interactions.models import Method
from kehu.tags.models import BudgetLevel, CooperationLevel, Level, Tag, TagStatus

# --- operators -------------------------------------------------------------------------------
EQ, NE, IN, GT, GTE, LT, LTE = "eq", "ne", "in", "gt", "gte", "lt", "lte"
BETWEEN, CONTAINS, EMPTY, NOT_EMPTY, HAS, HAS_NOT = (
    "between",
    "contains",
    "empty",
    "not_empty",
    "has",
    "has_not",
)
OPERATOR_LABELS = {
    EQ: "=",
    NE: "≠",
    IN: gettext_lazy("is one of"),
    GT: ">",
    GTE: "≥",
    LT: "<",
    LTE: "≤",
    BETWEEN: gettext_lazy("between"),
    CONTAINS: gettext_lazy("contains"),
    EMPTY: gettext_lazy("is empty"),
    NOT_EMPTY: gettext_lazy("is not empty"),
    HAS: gettext_lazy("has"),
    HAS_NOT: gettext_lazy("does not have"),
}
NO_VALUE = frozenset({EMPTY, NOT_EMPTY})

# Kinds of field, and the operators that make sense for each.
TEXT, NUMBER, DATE, DATETIME, CHOICE, MODEL, TAG = (
    "text",
    "number",
    "date",
    "datetime",
    "choice",
    "model",
    "tag",
)
KIND_OPERATORS = {
    TEXT: (EQ, NE, IN, CONTAINS, EMPTY, NOT_EMPTY),
    NUMBER: (EQ, NE, GT, GTE, LT, LTE, BETWEEN, EMPTY, NOT_EMPTY),
    DATE: (EQ, GT, GTE, LT, LTE, BETWEEN, EMPTY, NOT_EMPTY),
    DATETIME: (EQ, GT, GTE, LT, LTE, BETWEEN, EMPTY, NOT_EMPTY),
    CHOICE: (EQ, NE, IN, EMPTY, NOT_EMPTY),
    MODEL: (EQ, NE, IN, EMPTY, NOT_EMPTY),
    TAG: (HAS, HAS_NOT),
}


@dataclass(frozen=True)
class FieldSpec:
    """One field a condition may name. `path` is the ORM path from Customer; `model` names the
    preset a MODEL field points to; `custom_key` marks a custom field (values in JSON)."""

    key: str
    label: str
    kind: str
    group: str
    path: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    model: str = ""
    custom_key: str = ""

    @property
    def operators(self) -> tuple[str, ...]:
        return KIND_OPERATORS[self.kind]


def _label(name: str) -> str:
    return str(Customer._meta.get_field(name).verbose_name)


def _choices(choices) -> tuple[tuple[str, str], ...]:
    return tuple((str(value), str(label)) for value, label in choices)


# Customer columns: (field name, kind, preset model or choices).
_CUSTOMER_FIELDS: tuple[tuple[str, str, Any], ...] = (
    ("code", TEXT, None),
    ("name", TEXT, None),
    ("customer_type", CHOICE, CustomerType.choices),
    ("credit_code", TEXT, None),
    ("industry", MODEL, "industry"),
    ("scale", CHOICE, Scale.choices),
    ("enterprise_type", CHOICE, EnterpriseType.choices),
    ("region", MODEL, "region"),
    ("city", TEXT, None),
    ("district", TEXT, None),
    ("street", TEXT, None),
    ("source", CHOICE, Source.choices),
    ("first_contact_date", DATE, None),
    ("status", CHOICE, Status.choices),
    ("annual_budget", NUMBER, None),
    ("remarks", TEXT, None),
    ("owner", MODEL, "user"),
    ("department", MODEL, "department"),
    ("created_by", MODEL, "user"),
    ("created_at", DATETIME, None),
    ("updated_at", DATETIME, None),
    ("last_interaction_at", DATETIME, None),
)
_LEVELS: tuple[tuple[str, Any], ...] = (
    ("interaction_frequency", Level.choices),
    ("cooperation_level", CooperationLevel.choices),
    ("budget_level", BudgetLevel.choices),
    ("channel_preference", Method.choices),
)
_CUSTOM_KINDS = {
    CustomFieldType.TEXT: TEXT,
    CustomFieldType.NUMBER: NUMBER,
    CustomFieldType.DATE: DATE,
    CustomFieldType.CHOICE: CHOICE,
}


def field_catalogue() -> dict[str, FieldSpec]:
    """Every field a condition may use, in the order the builder lists them (one query, for
    the active custom fields). Labels follow the active language."""
    from kehu.tags.models import CustomerClassification

    customer, levels, custom = _("Customer"), _("Computed levels"), _("Custom fields")
    catalogue: dict[str, FieldSpec] = {}
    for name, kind, extra in _CUSTOMER_FIELDS:
        catalogue[name] = FieldSpec(
            key=name,
            label=_label(name),
            kind=kind,
            group=customer,
            path=name,
            choices=_choices(extra) if kind == CHOICE else (),
            model=extra if kind == MODEL else "",
        )
    catalogue["tag"] = FieldSpec(key="tag", label=_("Tag"), kind=TAG, group=customer)
    for name, choices in _LEVELS:
        catalogue[f"level.{name}"] = FieldSpec(
            key=f"level.{name}",
            label=str(CustomerClassification._meta.get_field(name).verbose_name),
            kind=CHOICE,
            group=levels,
            path=f"classification__{name}",
            choices=_choices(choices),
        )
    for definition in CustomFieldDefinition.objects.filter(is_active=True):
        catalogue[f"custom.{definition.key}"] = FieldSpec(
            key=f"custom.{definition.key}",
            label=definition.label,
            kind=_CUSTOM_KINDS[definition.field_type],
            group=custom,
            choices=tuple((str(c), str(c)) for c in definition.choices or ()),
            custom_key=definition.key,
        )
    return catalogue


def model_options(model: str) -> list[tuple[int, str]]:
    """The drop-down of a MODEL field or of tags: (id, label) pairs."""
    if model == "industry":
        return [
            (i.pk, str(i)) for i in Industry.objects.filter(is_active=True).select_related("parent")
        ]
    if model == "region":
        return [
            (r.pk, str(r)) for r in Region.objects.filter(is_active=True).select_related("parent")
        ]
    if model == "user":
        return [(u.pk, u.display_name) for u in User.objects.filter(is_active=True)]
    if model == "department":
        return [(d.pk, d.name) for d in Department.objects.all()]
    if model == "tag":
        return [(t.pk, t.label) for t in Tag.objects.filter(status=TagStatus.APPROVED)]
    return []


PRESET_MODELS: dict[str, Callable[[], Any]] = {
    "industry": lambda: Industry.objects,
    "region": lambda: Region.objects,
    "user": lambda: User.objects,
    "department": lambda: Department.objects,
    "tag": lambda: Tag.objects.filter(status=TagStatus.APPROVED),
}
