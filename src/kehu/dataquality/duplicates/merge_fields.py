"""Which customer fields a merge lets the user choose, and the default choice per field.

Shared by the merge page (one row per field) and the merge service (which applies them).
Status is not offered: it changes only through its own flow (reason, approval, spec §2.5).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kehu.customers.models import Contact, Customer, CustomFieldDefinition
from kehu.customers.services import CUSTOMER_FIELDS

MERGE_FIELDS: tuple[str, ...] = (
    *(f for f in CUSTOMER_FIELDS if f != "status"),
    "owner",
)
DECISION_MAKER = "decision_maker"
CUSTOM_PREFIX = "custom:"


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def field_value(customer: Customer, name: str) -> Any:
    if name.startswith(CUSTOM_PREFIX):
        return customer.custom_fields.get(name.removeprefix(CUSTOM_PREFIX))
    field = Customer._meta.get_field(name)
    return getattr(customer, field.attname)


def custom_field_names() -> list[tuple[str, CustomFieldDefinition]]:
    return [
        (CUSTOM_PREFIX + d.key, d) for d in CustomFieldDefinition.objects.filter(is_active=True)
    ]


def choosable_fields() -> list[str]:
    return [*MERGE_FIELDS, *(name for name, _d in custom_field_names())]


def by_recency(records: Sequence[Customer]) -> list[Customer]:
    """Most recently updated first (ties: the higher id, i.e. the newer record)."""
    return sorted(records, key=lambda c: (c.updated_at, c.pk), reverse=True)


def default_keep(records: Sequence[Customer]) -> Customer:
    return by_recency(records)[0]


def default_choices(
    records: Sequence[Customer], decision_makers: dict[int, Contact | None]
) -> dict[str, int]:
    """Per field, the id of the most recently updated record with a non-empty value; the
    decision maker likewise (as a contact id)."""
    ordered = by_recency(records)
    choices: dict[str, int] = {}
    for name in choosable_fields():
        source = next((c for c in ordered if not _empty(field_value(c, name))), ordered[0])
        choices[name] = source.pk
    contact = next((decision_makers[c.pk] for c in ordered if decision_makers.get(c.pk)), None)
    if contact is not None:
        choices[DECISION_MAKER] = contact.pk
    return choices
