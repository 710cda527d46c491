"""Reads on data quality; scoped through the customer's data scope (core.access)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from kehu.accounts.models import User
from kehu.accounts.selectors import department_rollup
from kehu.dataquality.models import CompletenessState, CustomerCompleteness


@dataclass
class CompletenessRate:
    """Share of checked customers with nothing missing (KPI target ≥ 95 %)."""

    label: str
    total: int
    complete: int
    pending: int = 0  # 待补全: incomplete, still within the 3 working days
    overdue: int = 0  # 信息待完善: still incomplete after them

    @property
    def incomplete(self) -> int:
        return self.total - self.complete

    @property
    def rate(self) -> float | None:
        return self.complete / self.total if self.total else None


_COMPLETE = Count("id", filter=Q(state=CompletenessState.COMPLETE))
_PENDING = Count("id", filter=Q(state=CompletenessState.PENDING))
_OVERDUE = Count("id", filter=Q(state=CompletenessState.OVERDUE))


def completeness_rate_by_user(*, viewer: User) -> list[CompletenessRate]:
    """Per owner, over the customers the viewer may see."""
    rows = (
        CustomerCompleteness.objects.visible_to(viewer)
        .values("customer__owner_id", "customer__owner__full_name", "customer__owner__username")
        .annotate(total=Count("id"), complete=_COMPLETE, pending=_PENDING, overdue=_OVERDUE)
        .order_by("customer__owner__username")
    )
    return [
        CompletenessRate(
            label=row["customer__owner__full_name"] or row["customer__owner__username"],
            total=row["total"],
            complete=row["complete"],
            pending=row["pending"],
            overdue=row["overdue"],
        )
        for row in rows
    ]


def completeness_rate_by_team(*, viewer: User) -> list[CompletenessRate]:
    """Per department of the owner (with its sub-departments), over what the viewer may see."""
    rows = (
        CustomerCompleteness.objects.visible_to(viewer)
        .values("customer__owner__department_id")
        .annotate(total=Count("id"), complete=_COMPLETE, pending=_PENDING, overdue=_OVERDUE)
        .order_by()
    )
    by_department = {
        r["customer__owner__department_id"]: (r["total"], r["complete"], r["pending"], r["overdue"])
        for r in rows
    }
    return [
        CompletenessRate(
            label=department.name,
            total=total,
            complete=complete,
            pending=pending,
            overdue=overdue,
        )
        for department, total, complete, pending, overdue in department_rollup(by_department)
    ]


def steward_overdue_list(*, viewer: User) -> QuerySet[CustomerCompleteness]:
    """Customers overdue (信息待完善) that the viewer may see, longest overdue first."""
    return (
        CustomerCompleteness.objects.visible_to(viewer)
        .filter(state=CompletenessState.OVERDUE)
        .select_related("customer", "customer__owner")
        .order_by("due_date", "customer_id")
    )
