"""Pool reads. Rows come from core.access (pool members see the pool list; nothing else)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from kehu.accounts.models import User
from kehu.core.access import visible_pool_entries, visible_pool_events, visible_pools
from kehu.customers.models import Contact
from kehu.pool.models import (
    AssignmentRule,
    AssignmentScope,
    Pool,
    PoolEntry,
    PoolEvent,
    PoolRule,
)


def pool_entry_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[PoolEntry]:
    """Customers in the pools `user` may see, newest returns first, with what the list shows:
    name, code, industry, region, status, return date and reason, the decision maker (whose
    mobile the page masks)."""
    filters = filters or {}
    entries = visible_pool_entries(user)
    if filters.get("pool"):
        entries = entries.filter(pool=filters["pool"])
    if filters.get("status"):
        entries = entries.filter(customer__status=filters["status"])
    if filters.get("industry"):
        industry = filters["industry"]
        entries = entries.filter(
            Q(customer__industry=industry) | Q(customer__industry__parent=industry)
        )
    if filters.get("region"):
        region = filters["region"]
        entries = entries.filter(Q(customer__region=region) | Q(customer__region__parent=region))
    if filters.get("q"):
        q = filters["q"].strip()
        entries = entries.filter(
            Q(customer__name__icontains=q)
            | Q(customer__code__iexact=q)
            | Q(customer__name_initials__startswith=q.lower())
        )
    return (
        entries.select_related(
            "pool", "customer", "customer__industry__parent", "customer__region__parent"
        )
        .prefetch_related(
            Prefetch(
                "customer__contacts",
                queryset=Contact.objects.filter(is_decision_maker=True),
            )
        )
        .order_by("-returned_at", "-id")
    )


def pool_event_list(*, user: User, pool=None, action: str = "") -> QuerySet[PoolEvent]:
    events = visible_pool_events(user)
    if pool is not None:
        events = events.filter(pool=pool)
    if action:
        events = events.filter(action=action)
    return events.select_related("pool", "customer", "actor", "from_user", "to_user").order_by(
        "-at", "-id"
    )


def pool_list(*, user: User):
    return visible_pools(user).prefetch_related("rules", "departments", "administrators")


def lead_rules_cover(*, user: User) -> bool:
    """Whether an active lead rule serves `user`'s team: it names them, or its team is their
    department, one above it or one below it. The lead form then leaves the owner to the
    rules by default."""
    from kehu.accounts.selectors import department_ancestor_ids, department_subtree_ids

    departments = set(department_ancestor_ids(user.department_id)) | department_subtree_ids(
        user.department_id
    )
    return (
        AssignmentRule.objects.filter(scope=AssignmentScope.LEADS, is_active=True)
        .filter(Q(department_id__in=departments) | Q(members=user))
        .exists()
    )


def assignment_rule_list() -> QuerySet[AssignmentRule]:
    return AssignmentRule.objects.select_related("pool", "department", "last_assigned").order_by(
        "scope", "sort_order", "id"
    )


def pool_members(pool) -> QuerySet[User]:
    """Active users who belong to the pool (named, or through a member department and below):
    whom a customer of the pool may be assigned to."""
    from kehu.accounts.selectors import department_subtree_ids

    department_ids: set[int] = set()
    for department_id in pool.departments.values_list("id", flat=True):
        department_ids |= department_subtree_ids(department_id)
    return (
        User.objects.filter(is_active=True)
        .filter(Q(member_pools=pool) | Q(department_id__in=sorted(department_ids)))
        .distinct()
        .order_by("id")
    )


def pool_rules(pool) -> QuerySet[PoolRule]:
    return PoolRule.objects.filter(pool=pool).order_by("status")


def pool_rule_get(pool, pk: int) -> PoolRule:
    return get_object_or_404(PoolRule, pool=pool, pk=pk)


def assignment_rule_get(pk: int) -> AssignmentRule:
    return get_object_or_404(
        AssignmentRule.objects.prefetch_related("members", "regions", "industries"), pk=pk
    )


def all_pools() -> QuerySet[Pool]:
    """Every pool, for an administrator's choice of pool on an assignment rule."""
    return Pool.objects.all()
