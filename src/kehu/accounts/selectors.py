"""Reads about the organisation: department subtrees, reporting lines, effective rights."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models import QuerySet

from kehu.accounts.models import (
    SCOPE_RANK,
    UNMASK_RANK,
    DataScope,
    Department,
    Role,
    UnmaskScope,
    User,
)


@dataclass(frozen=True)
class Rights:
    """What a user's roles add up to: the widest scope of each kind wins."""

    read_scope: str
    write_scope: str
    unmask_scope: str
    is_admin: bool
    role_codes: frozenset[str] = frozenset()


NO_RIGHTS = Rights(DataScope.OWN, DataScope.OWN, UnmaskScope.NONE, False)


def user_rights(user: User) -> Rights:
    """Cached on the user object for the length of a request or task."""
    cached = getattr(user, "_kehu_rights", None)
    if cached is not None:
        return cached
    if not user.is_authenticated or not user.is_active:
        rights = NO_RIGHTS
    elif user.is_superuser:
        codes = frozenset(Role.objects.filter(users=user).values_list("code", flat=True))
        rights = Rights(DataScope.COMPANY, DataScope.COMPANY, UnmaskScope.VISIBLE, True, codes)
    else:
        roles = list(Role.objects.filter(users=user))
        rights = Rights(
            read_scope=max((r.read_scope for r in roles), key=SCOPE_RANK.get, default="own"),
            write_scope=max((r.write_scope for r in roles), key=SCOPE_RANK.get, default="own"),
            unmask_scope=max((r.unmask_scope for r in roles), key=UNMASK_RANK.get, default="none"),
            is_admin=any(r.is_admin for r in roles),
            role_codes=frozenset(r.code for r in roles),
        )
    user._kehu_rights = rights  # type: ignore[union-attr]
    return rights


def department_subtree_ids(department_id: int | None) -> set[int]:
    """The department and every department below it."""
    if department_id is None:
        return set()
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Department.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, stack = set(), [department_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def user_department_subtree_ids(user: User) -> set[int]:
    """The user's department and every one below it, cached on the user object for the length
    of a request or task: a scoped page asks for it once per figure (issue 7)."""
    cached = getattr(user, "_kehu_department_subtree", None)
    if cached is not None and cached[0] == user.department_id:
        return cached[1]
    found = department_subtree_ids(user.department_id)
    user._kehu_department_subtree = (user.department_id, found)  # type: ignore[attr-defined]
    return found


def subordinate_ids(user: User) -> set[int]:
    """Everyone below the user along the reporting line (direct and indirect)."""
    cached = getattr(user, "_kehu_subordinates", None)
    if cached is not None:
        return cached
    reports: dict[int, list[int]] = {}
    for pk, superior_id in User.objects.filter(superior__isnull=False).values_list(
        "id", "superior_id"
    ):
        reports.setdefault(superior_id, []).append(pk)
    found: set[int] = set()
    stack = list(reports.get(user.pk, []))
    while stack:
        current = stack.pop()
        if current in found or current == user.pk:
            continue
        found.add(current)
        stack.extend(reports.get(current, []))
    user._kehu_subordinates = found  # type: ignore[attr-defined]
    return found


def department_name(department_id: int | None) -> str:
    """A department's name from the reference cache (core.refcache watches Department): the
    header of every page shows the user's own, which was one query per page."""
    if department_id is None:
        return ""
    from kehu.core import refcache

    names = refcache.cached(
        ("department-names",), lambda: dict(Department.objects.values_list("id", "name"))
    )
    return names.get(department_id, "")


def department_ancestor_ids(department_id: int | None) -> list[int]:
    """The department and its parents up to the root, nearest first."""
    parents = dict(Department.objects.values_list("id", "parent_id"))
    chain: list[int] = []
    current = department_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def assignable_users(user: User) -> QuerySet[User]:
    """Users whom `user` may make the owner of a record: themselves, or anyone inside their
    write scope (their department tree or the whole company)."""
    rights = user_rights(user)
    active = User.objects.filter(is_active=True)
    if rights.write_scope == DataScope.COMPANY:
        return active
    if rights.write_scope == DataScope.DEPARTMENT and user.department_id:
        return active.filter(department_id__in=department_subtree_ids(user.department_id))
    return active.filter(pk=user.pk)


def department_head_for(department_id: int | None, *, excluding: User | None = None) -> User | None:
    """The nearest active department head up the tree, skipping `excluding` (no one approves
    their own request)."""
    heads = dict(Department.objects.values_list("id", "head_id"))
    for dept_id in department_ancestor_ids(department_id):
        head_id = heads.get(dept_id)
        if head_id and (excluding is None or head_id != excluding.pk):
            head = User.objects.filter(pk=head_id, is_active=True).first()
            if head is not None:
                return head
    return None


def administrators() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True)
        .filter(models.Q(is_superuser=True) | models.Q(roles__is_admin=True))
        .distinct()
    )


def handovers_for(user: User) -> QuerySet:
    """Handovers the user asked for or must confirm; administrators see all."""
    from kehu.accounts.models import Handover
    from kehu.core.permissions import is_administrator

    handovers = Handover.objects.select_related("from_user", "to_user", "requested_by", "approver")
    if is_administrator(user):
        return handovers
    return handovers.filter(models.Q(requested_by=user) | models.Q(approver=user))


def handover_sources(user: User) -> QuerySet[User]:
    """Users whose handover `user` may ask for: anyone for an administrator, the people in the
    departments a head leads (and below) for a department head."""
    from kehu.core.permissions import is_administrator

    users = User.objects.filter(is_active=True)
    if is_administrator(user):
        return users
    department_ids: set[int] = set()
    for department_id in user.headed_departments.values_list("id", flat=True):
        department_ids |= department_subtree_ids(department_id)
    return users.filter(department_id__in=department_ids).exclude(pk=user.pk)


def handover_preview(*, from_user: User) -> dict[str, int]:
    """What a handover of `from_user` would move now (the confirmation counts again)."""
    from kehu.customers.models import Customer, StatusChange, StatusChangeState
    from kehu.interactions.models import Task, TaskStatus

    pending = StatusChange.objects.filter(state=StatusChangeState.PENDING)
    return {
        "customers": Customer.objects.filter(owner=from_user).count(),
        "tasks": Task.objects.filter(assignee=from_user, status=TaskStatus.OPEN).count(),
        "approvals_requested": pending.filter(requested_by=from_user).count(),
        "approvals_to_decide": pending.filter(approver=from_user).count(),
    }


def department_rollup(
    per_department: dict[int | None, tuple[int, ...]],
) -> list[tuple[Department, ...]]:
    """Sum the figures kept per department (tuples of one length, the first a total) over each
    department and everything below it, in tree order; departments whose subtree has nothing
    are left out. Two queries in all."""
    departments = list(Department.objects.all())
    children: dict[int | None, list[int]] = {}
    for department in departments:
        children.setdefault(department.parent_id, []).append(department.pk)
    width = len(next(iter(per_department.values()), (0, 0)))
    totals: dict[int, tuple[int, ...]] = {}

    def subtree_total(pk: int, seen: frozenset[int] = frozenset()) -> tuple[int, ...]:
        if pk not in totals:
            sums = list(per_department.get(pk, (0,) * width))
            for child in children.get(pk, []):
                if child not in seen:
                    sums = [
                        a + b for a, b in zip(sums, subtree_total(child, seen | {pk}), strict=True)
                    ]
            totals[pk] = tuple(sums)
        return totals[pk]

    return [
        (department, *subtree_total(department.pk))
        for department in departments
        if subtree_total(department.pk)[0]
    ]
