"""Reads on customers. Every query starts from the caller's data scope (core.access)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import connection
from django.db.models import F, Func, Prefetch, Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat

from kehu.accounts.models import User
from kehu.core.access import customer_scope_q, visible_customers
from kehu.core.text import pinyin_readings, to_simplified
from kehu.customers.models import (
    Contact,
    Customer,
    CustomerShare,
    CustomFieldDefinition,
    Industry,
    Region,
)
from kehu.customers.sensitive import mobile_index, mobile_last4_index

SEARCH_MAX_LENGTH = 64
_ASCII_LETTERS = re.compile(r"[a-z]+")


def _contains(model, field: str, value: str, *, folded: bool) -> Q:
    """`field` contains `value`, in the form the search indexes serve on PostgreSQL (migration
    0008): three characters or more through the trigram index, two through the bigram index,
    one only at the start of the text (a one-character "contains" would read every row).
    SQLite has none of these indexes and searches anywhere at any length."""
    lookup = f"{field}__icontains" if folded else f"{field}__contains"
    if connection.vendor != "postgresql" or len(value) >= 3:
        return Q(**{lookup: value})
    if len(value) == 2 and folded:
        quote = connection.ops.quote_name
        meta = model._meta
        sql = (
            f"SELECT {quote(meta.pk.column)} FROM {quote(meta.db_table)} "  # noqa: S608
            f"WHERE kehu_bigrams(UPPER({quote(meta.get_field(field).column)})) "
            "@> ARRAY[UPPER(%s)]"
        )
        # Identifiers from the model's own metadata; the search term is a parameter.
        return Q(pk__in=RawSQL(sql, [value]))  # noqa: S611
    return Q(**{f"{field}__startswith": value})


def _pinyin_arm(customers: QuerySet[Customer], letters: str) -> QuerySet[Customer] | None:
    """Pinyin read from the start of a syllable (name_pinyin is " su zhou heng rui …"):
    "hengrui" finds 恒瑞 but not 正瑞 (" zheng rui"), "xianshu" finds 西安数 (" xi an shu").
    One or two letters match the start of the name only (as any one- or two-letter
    "contains" here); letters that are not pinyin match nothing through this arm (None).

    On PostgreSQL a reading of two syllables or more is found through the syllable-pair
    index (migration 0015): its pairs, the last one by the first letter of its second
    syllable (still being typed), then the reading itself on those rows only. The trigram
    index would read every name holding "heng" and "rui" anywhere (4,817 at 1M) and make
    the database check the pairs again on each."""
    if len(letters) < 3:
        return customers.filter(name_pinyin__startswith=f" {letters}")
    readings = pinyin_readings(letters)
    if not readings:
        return None
    pairs_index = connection.vendor == "postgresql"
    if pairs_index:
        from django.contrib.postgres.fields import ArrayField

        customers = customers.alias(
            syllable_pairs=Func(
                F("name_pinyin"),
                function="kehu_syllable_pairs",
                output_field=ArrayField(TextField()),
            ),
            # The same text, written so that the trigram index is not asked as well.
            pinyin_text=Concat(F("name_pinyin"), Value("")),
        )
    q = Q()
    for reading in readings:
        words = reading.split()
        if pairs_index and len(words) >= 2:
            pairs = [f"{a} {b}" for a, b in zip(words[:-2], words[1:-1], strict=True)]
            pairs.append(f"{words[-2]} {words[-1][0]}")
            q |= Q(syllable_pairs__contains=pairs, pinyin_text__contains=reading)
        else:  # three letters or more: the trigram index serves it
            q |= Q(name_pinyin__contains=reading)
    return customers.filter(q)


def customer_search_q(user: User, text: str) -> Q:
    """Name (simplified or traditional), code, pinyin or initials, contact name, mobile.

    Bounded: the term is cut to 64 characters, and each way of matching is a separate set of
    ids read through its own index, united, so no request makes the database read every row.
    """
    term = " ".join((text or "").split())[:SEARCH_MAX_LENGTH]
    if not term:
        return Q()
    simplified = to_simplified(term)
    # The customer arms carry the data scope too: it is tested on the rows each arm reads
    # anyway, so a common term (hengrui: 8,000 names) leaves the planner a few hundred
    # candidates to look up by id instead of a join against every customer the viewer may see
    # (issue 7). The caller's queryset still applies the scope to the union.
    customers = Customer.objects.all()
    if user is not None:
        customers = customers.filter(customer_scope_q(user))
    # Codes are stored upper-case: a case-sensitive prefix uses the code's pattern index.
    arms = [customers.filter(code__startswith=term.upper()).values("id")]
    for name in {simplified, term}:
        arms.append(customers.filter(_contains(Customer, "name", name, folded=True)).values("id"))
    if len(term) >= 8:
        # The code of a customer merged into another finds the one it was merged into.
        from kehu.dataquality.duplicates.models import CustomerCodeAlias

        arms.append(CustomerCodeAlias.objects.filter(code=term.upper()).values("customer_id"))
    lowered = term.lower().replace(" ", "")
    if _ASCII_LETTERS.fullmatch(lowered):
        arms.append(
            customers.filter(_contains(Customer, "name_initials", lowered, folded=False)).values(
                "id"
            )
        )
        pinyin = _pinyin_arm(customers, lowered)
        if pinyin is not None:
            arms.append(pinyin.values("id"))
    # Candidate ids only: the caller's queryset carries the data scope (customer_list starts
    # from visible_customers), and scoping this arm too would join every customer into it.
    contacts = Contact.objects.all()
    contact_q = _contains(Contact, "name", simplified, folded=True)
    digits = term.replace(" ", "").replace("-", "")
    if digits.isdigit() and len(digits) == 4:
        contact_q |= Q(mobile_last4_hash=mobile_last4_index(digits))
    elif digits.isdigit() and len(digits) == 11:
        contact_q |= Q(mobile_hash=mobile_index(digits))
    arms.append(contacts.filter(contact_q).values("customer_id"))
    first, *rest = (arm.order_by() for arm in arms)
    return Q(id__in=first.union(*rest))


def customer_list(*, user: User, join_presets: bool = True) -> QuerySet[Customer]:
    """The customers a user may see, with what a list row shows, in one query + one prefetch.

    `join_presets=False` leaves industries and regions (and their parents) out of the query:
    PostgreSQL spent ~7 ms planning those four joins for each page at 1M customers, four
    times what running the query took. The caller then gives the page's rows their presets
    from the process cache with `attach_presets`."""
    related = ["owner", "department"]
    if join_presets:
        related += ["industry__parent", "region__parent"]
    return (
        visible_customers(user)
        .select_related(*related)
        .prefetch_related(
            Prefetch(
                "contacts",
                queryset=Contact.objects.filter(is_decision_maker=True),
                to_attr="key_contacts",
            )
        )
    )


def _preset_index(model) -> dict[int, Any]:
    """Every preset (retired ones too: a customer may still carry one) by id, each with its
    parent attached, so labels like 制造业-汽车零部件 need no query."""
    presets = {preset.pk: preset for preset in model.objects.all()}
    parent = model._meta.get_field("parent")
    for preset in presets.values():
        if preset.parent_id is not None and preset.parent_id in presets:
            parent.set_cached_value(preset, presets[preset.parent_id])
        elif preset.parent_id is None:
            parent.set_cached_value(preset, None)
    return presets


def _cached_preset_index(model) -> dict[int, Any]:
    from kehu.core import refcache

    return refcache.cached(("preset-index", model._meta.label), partial(_preset_index, model))


def presets_by_id(model, ids) -> dict[int, Any]:
    """The presets of `model` (Industry, Region) with these ids, parents attached: from the
    per-process cache (core.refcache), and from the database for any the cache has not seen
    yet (added by another process within the last second). Shared, read-only objects."""
    index = _cached_preset_index(model)
    found = {pk: index[pk] for pk in ids if pk in index}
    missing = [pk for pk in ids if pk not in index]
    if missing:
        found.update(model.objects.select_related("parent").in_bulk(missing))
    return found


def attach_presets(customers: list[Customer]) -> list[Customer]:
    """Give rows read with `customer_list(join_presets=False)` their industry and region from
    the per-process cache (core.refcache; rebuilt when a preset is saved). The presets are
    shared, read-only objects. A preset the cache has not seen yet (added by another process
    within the last second) is left to load on access."""
    for model, field_name in ((Industry, "industry"), (Region, "region")):
        index = _cached_preset_index(model)
        field = Customer._meta.get_field(field_name)
        for customer in customers:
            preset_id = getattr(customer, field.attname)
            if preset_id is None:
                field.set_cached_value(customer, None)
            elif preset_id in index:
                field.set_cached_value(customer, index[preset_id])
    return customers


@dataclass
class CustomerDetail:
    customer: Customer
    contacts: list[Contact]
    team: list[CustomerShare]
    custom_values: list[tuple[CustomFieldDefinition, Any]]


def customer_detail(*, customer: Customer) -> CustomerDetail:
    definitions = list(CustomFieldDefinition.objects.filter(is_active=True))
    return CustomerDetail(
        customer=customer,
        contacts=list(customer.contacts.all()),
        team=list(customer.shares.select_related("user")),
        custom_values=[(d, customer.custom_fields.get(d.key)) for d in definitions],
    )


@dataclass
class HistoryChange:
    field: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    at: Any
    user: User | None
    kind: str  # "+", "~", "-"
    subject: str
    changes: list[HistoryChange]


def _display(record, field_name: str, value: Any) -> str:
    if value in (None, ""):
        return ""
    field = record.instance_type._meta.get_field(field_name)
    if field.choices:
        return str(dict(field.choices).get(value, value))
    if field.is_relation:
        related = field.related_model.objects.filter(pk=value).first()
        return str(related) if related else str(value)
    if field_name == "mobile":
        from kehu.customers.validators import mask_mobile

        return mask_mobile(str(value))
    if field_name == "custom_fields" and isinstance(value, dict):
        from kehu.customers.sensitive import mask_text, sensitive_custom_keys

        keys = sensitive_custom_keys()
        return str({k: mask_text(v) if k in keys else v for k, v in value.items()})
    return str(value)


def _entries(records, subject_of) -> list[HistoryEntry]:
    entries: list[HistoryEntry] = []
    for record in records:
        previous = record.prev_record
        changes: list[HistoryChange] = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            for change in delta.changes:
                verbose = record.instance_type._meta.get_field(change.field).verbose_name
                changes.append(
                    HistoryChange(
                        field=str(verbose),
                        old=_display(record, change.field, change.old),
                        new=_display(record, change.field, change.new),
                    )
                )
            if not changes:
                continue
        entries.append(
            HistoryEntry(
                at=record.history_date,
                user=record.history_user,
                kind=record.history_type,
                subject=subject_of(record),
                changes=changes,
            )
        )
    return entries


def customer_history(*, customer: Customer, limit: int = 200) -> list[HistoryEntry]:
    """Every change to the customer and its contacts, newest first (who, when, before → after).

    Mobile numbers appear masked here: history is not a way around unmasking.
    """
    customer_records = (
        Customer.history.filter(id=customer.pk)
        .select_related("history_user")
        .order_by("-history_date")[:limit]
    )
    contact_records = (
        Contact.history.filter(customer_id=customer.pk)
        .select_related("history_user")
        .order_by("-history_date")[:limit]
    )
    entries = _entries(customer_records, lambda r: str(Customer._meta.verbose_name)) + _entries(
        contact_records, lambda r: f"{Contact._meta.verbose_name} {r.name}"
    )
    # Merges into this customer (who merged which codes, and undos): dataquality.duplicates.
    from kehu.dataquality.duplicates.selectors import merge_history_entries

    entries += merge_history_entries(customer=customer)
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
