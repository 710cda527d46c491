"""Reads of the duplicate finder, scoped by core.access.

A duplicate group is shown only when the viewer may see every one of its members: listing a
group would otherwise reveal that a record outside the viewer's data scope exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from kehu.accounts.models import User
from kehu.accounts.selectors import department_rollup
from kehu.core.access import visible_customers
from kehu.customers.models import Contact, Customer
from kehu.customers.selectors import HistoryChange, HistoryEntry
from kehu.dataquality.duplicates.merge_fields import (
    CUSTOM_PREFIX,
    MERGE_FIELDS,
    custom_field_names,
    default_choices,
    default_keep,
    field_value,
)
from kehu.dataquality.duplicates.models import (
    CustomerCodeAlias,
    CustomerMerge,
    DuplicateGroup,
    DuplicateGroupMember,
    DuplicateGroupStatus,
    DuplicateScan,
)


def visible_duplicate_groups(*, viewer: User, min_score: float | None = None) -> QuerySet:
    """Open groups whose members are all visible to `viewer`, best first."""
    hidden_members = DuplicateGroupMember.objects.exclude(
        customer_id__in=visible_customers(viewer).values("pk")
    ).values("group_id")
    groups = DuplicateGroup.objects.filter(status=DuplicateGroupStatus.OPEN).exclude(
        pk__in=hidden_members
    )
    if min_score is not None:
        groups = groups.filter(score__gte=min_score)
    return groups.order_by("-score", "-id")


def duplicate_group_list(*, viewer: User, min_score: float | None = None) -> QuerySet:
    return visible_duplicate_groups(viewer=viewer, min_score=min_score).prefetch_related(
        Prefetch(
            "members",
            queryset=DuplicateGroupMember.objects.select_related("customer__owner").order_by(
                "customer_id"
            ),
        )
    )


def access_duplicate_group(viewer: User, pk: int | str) -> DuplicateGroup:
    """One open group the viewer may see entirely, or 404 (missing and hidden alike)."""
    try:
        return visible_duplicate_groups(viewer=viewer).get(pk=int(pk))
    except (ValueError, TypeError, DuplicateGroup.DoesNotExist) as exc:
        raise Http404 from exc


@dataclass
class DuplicateCount:
    label: str
    count: int


def duplicate_counts_by_user(*, viewer: User) -> list[DuplicateCount]:
    """Open groups per owner of a member (a group with two owners counts for both)."""
    rows = (
        DuplicateGroupMember.objects.filter(group__in=visible_duplicate_groups(viewer=viewer))
        .values("customer__owner__full_name", "customer__owner__username")
        .annotate(count=Count("group_id", distinct=True))
        .order_by("-count", "customer__owner__username")
    )
    return [
        DuplicateCount(
            label=r["customer__owner__full_name"] or r["customer__owner__username"],
            count=r["count"],
        )
        for r in rows
    ]


def duplicate_counts_by_team(*, viewer: User) -> list[DuplicateCount]:
    """Open groups per department of a member's owner, summed up the department tree (a group
    whose members sit in two sub-departments counts once in each)."""
    rows = (
        DuplicateGroupMember.objects.filter(group__in=visible_duplicate_groups(viewer=viewer))
        .values("customer__owner__department_id")
        .annotate(count=Count("group_id", distinct=True))
        .order_by()
    )
    per_department = {r["customer__owner__department_id"]: (r["count"],) for r in rows}
    if not per_department:
        return []
    return [
        DuplicateCount(label=department.name, count=count)
        for department, count in department_rollup(per_department)
    ]


def latest_scan() -> DuplicateScan | None:
    return DuplicateScan.objects.order_by("-created_at", "-id").first()


# --- merge page -------------------------------------------------------------------------------
@dataclass
class MergeRow:
    name: str
    label: str
    values: list[tuple[int, str]]  # (customer id, displayed value) per column
    default: int


@dataclass
class MergeTable:
    records: list[Customer]
    keep: Customer
    rows: list[MergeRow]
    decision_makers: list[tuple[int, Contact | None]]
    default_decision_maker: int | None
    versions: dict[int, int] = field(default_factory=dict)


def _display(customer: Customer, name: str) -> str:
    value = field_value(customer, name)
    if value in (None, ""):
        return ""
    if name.startswith(CUSTOM_PREFIX):
        return str(value)
    model_field = Customer._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.choices).get(value, value))
    if model_field.is_relation:
        related = getattr(customer, name)
        return getattr(related, "display_name", None) or str(related)
    return str(value)


def merge_table(*, records: list[Customer]) -> MergeTable:
    """One column per record, one row per field, with the default choice per field."""
    decision_makers = {c.pk: None for c in records}
    for contact in Contact.objects.filter(
        customer_id__in=list(decision_makers), is_decision_maker=True
    ):
        decision_makers[contact.customer_id] = contact
    defaults = default_choices(records, decision_makers)
    labels = [(n, str(Customer._meta.get_field(n).verbose_name)) for n in MERGE_FIELDS]
    labels += [(n, d.label) for n, d in custom_field_names()]
    rows = [
        MergeRow(
            name=name,
            label=label,
            values=[(c.pk, _display(c, name)) for c in records],
            default=defaults[name],
        )
        for name, label in labels
    ]
    return MergeTable(
        records=records,
        keep=default_keep(records),
        rows=rows,
        decision_makers=[(c.pk, decision_makers[c.pk]) for c in records],
        default_decision_maker=defaults.get("decision_maker"),
        versions={c.pk: c.version for c in records},
    )


def group_records(*, group: DuplicateGroup) -> list[Customer]:
    ids = list(group.members.values_list("customer_id", flat=True))
    return list(
        Customer.objects.filter(pk__in=ids)
        .select_related("owner", "industry__parent", "region__parent")
        .order_by("pk")
    )


def rendered_pairs(*, group: DuplicateGroup, codes: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {
            "a": codes.get(a, a),
            "b": codes.get(b, b),
            "score": score,
            "reasons": [str(r) for r in reasons],
        }
        for a, b, score, reasons in group.pair_reasons()
    ]


# --- merges and codes -------------------------------------------------------------------------
def merge_history(*, viewer: User) -> QuerySet[CustomerMerge]:
    """Merges into customers the viewer may see, newest first."""
    return (
        CustomerMerge.objects.filter(keep__in=visible_customers(viewer).values("pk"))
        .select_related("keep", "merged_by", "undone_by")
        .order_by("-merged_at", "-id")
    )


def access_merge(viewer: User, pk: int | str) -> CustomerMerge:
    try:
        return merge_history(viewer=viewer).get(pk=int(pk))
    except (ValueError, TypeError, CustomerMerge.DoesNotExist) as exc:
        raise Http404 from exc


def dropped_history(*, merge: CustomerMerge) -> list[Any]:
    """The change history of the merged-away customers (reachable after they were deleted)."""
    return list(
        Customer.history.filter(id__in=merge.dropped_ids)
        .select_related("history_user")
        .order_by("id", "-history_date")
    )


def customer_by_code(*, viewer: User, code: str) -> Customer:
    """A customer by its code, or by the code of a customer merged into it; 404 when neither
    exists or the viewer may not see the customer."""
    code = (code or "").strip().upper()[:24]
    visible = visible_customers(viewer)
    found = visible.filter(code=code).first()
    if found is not None:
        return found
    alias = CustomerCodeAlias.objects.filter(code=code).values_list("customer_id", flat=True)
    found = visible.filter(pk__in=alias).first()
    if found is None:
        raise Http404
    return found


def merge_history_entries(*, customer: Customer) -> list[HistoryEntry]:
    """History rows for the customer 360 page: each merge into this customer and its undo,
    shown as a change of the customer ("merged with: CX… → CX…")."""
    from django.utils.translation import gettext as _

    subject = str(Customer._meta.verbose_name)
    entries = []
    for merge in CustomerMerge.objects.filter(keep=customer).select_related(
        "merged_by", "undone_by"
    ):
        codes = ", ".join(merge.dropped_codes)
        entries.append(
            HistoryEntry(
                at=merge.merged_at,
                user=merge.merged_by,
                kind="~",
                subject=subject,
                changes=[HistoryChange(field=_("merged with"), old=codes, new=merge.keep_code)],
            )
        )
        if merge.undone_at:
            entries.append(
                HistoryEntry(
                    at=merge.undone_at,
                    user=merge.undone_by,
                    kind="~",
                    subject=subject,
                    changes=[
                        HistoryChange(field=_("merge undone"), old=merge.keep_code, new=codes)
                    ],
                )
            )
    return entries
