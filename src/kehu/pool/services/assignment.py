"""Assignment rules (分配规则) for new leads and for customers returned to a pool.

Rules of a scope are tried in order; the first that matches the record (region, industry) and
has an eligible user picks one. Round robin moves a pointer kept on the rule, under a row lock,
so concurrent picks never hand two records to the same turn; "by load" gives the record to
whoever has the fewest open leads (or customers), ties broken in round-robin order so equal
loads still share fairly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import RoleCode, User
from kehu.accounts.selectors import department_subtree_ids
from kehu.core.permissions import can_manage_pool
from kehu.customers.models import Customer
from kehu.pool.models import AssignmentRule, AssignmentScope, AssignmentStrategy, PoolEntry

RULE_FIELDS = ("name", "scope", "pool", "department", "strategy", "sort_order", "is_active")
OPEN_LEAD_STATUSES = ("new", "contacted", "qualified")


def _matches(rule: AssignmentRule, *, region, industry) -> bool:
    regions = {r.pk for r in rule.regions.all()}
    if regions and not (
        region is not None and (region.pk in regions or region.parent_id in regions)
    ):
        return False
    industries = {i.pk for i in rule.industries.all()}
    return not industries or (
        industry is not None and (industry.pk in industries or industry.parent_id in industries)
    )


def assignment_candidates(rule: AssignmentRule) -> list[User]:
    """The rule's users in a fixed order (by id): its named members, else the sales of its
    team (department and below). Inactive users never get records."""
    users = User.objects.filter(is_active=True)
    members = list(rule.members.filter(is_active=True).order_by("id"))
    if members:
        return members
    if rule.department_id is None:
        return []
    return list(
        users.filter(
            department_id__in=department_subtree_ids(rule.department_id),
            roles__code=RoleCode.SALES,
        )
        .distinct()
        .order_by("id")
    )


def _round_robin_order(candidates: list[User], last_id: int | None) -> list[User]:
    """Candidates starting after the last one assigned."""
    if last_id is None:
        return candidates
    after = [u for u in candidates if u.pk > last_id]
    return after + [u for u in candidates if u.pk <= last_id]


def _loads(scope: str, users: list[User]) -> dict[int, int]:
    ids = [u.pk for u in users]
    if scope == AssignmentScope.LEADS:
        from kehu.sales.models import Lead

        rows = (
            Lead.objects.filter(owner_id__in=ids, status__in=OPEN_LEAD_STATUSES)
            .values("owner_id")
            .annotate(n=Count("id"))
        )
    else:
        rows = Customer.objects.filter(owner_id__in=ids).values("owner_id").annotate(n=Count("id"))
    counts = {row["owner_id"]: row["n"] for row in rows}
    return {pk: counts.get(pk, 0) for pk in ids}


def assignment_pick(
    *,
    scope: str,
    region=None,
    industry=None,
    pool=None,
    eligible: Callable[[User], bool] | None = None,
) -> User | None:
    """The user the first matching rule gives the record to, moving its pointer; None when
    no rule applies. Call inside the transaction that saves the record."""
    rules = (
        AssignmentRule.objects.filter(scope=scope, is_active=True)
        .prefetch_related("regions", "industries")
        .order_by("sort_order", "id")
    )
    if pool is not None:
        rules = rules.filter(Q(pool__isnull=True) | Q(pool=pool))
    for rule in rules:
        if not _matches(rule, region=region, industry=industry):
            continue
        with transaction.atomic():
            locked = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
            candidates = [
                u for u in assignment_candidates(locked) if eligible is None or eligible(u)
            ]
            if not candidates:
                continue
            ordered = _round_robin_order(candidates, locked.last_assigned_id)
            if locked.strategy == AssignmentStrategy.LOAD:
                loads = _loads(scope, ordered)
                # min() keeps the first of equals: the round-robin order breaks ties.
                chosen = min(ordered, key=lambda u: loads[u.pk])
            else:
                chosen = ordered[0]
            AssignmentRule.objects.filter(pk=locked.pk).update(last_assigned=chosen)
            return chosen
    return None


def assignment_apply_to_lead(*, lead):
    """Give a new lead to whoever the lead rules pick (nothing changes when none applies).
    Called by lead creation when no owner was chosen (API without owner, web-to-lead)."""
    with transaction.atomic():
        chosen = assignment_pick(
            scope=AssignmentScope.LEADS, region=lead.region, industry=lead.industry
        )
        if chosen is None or chosen.pk == lead.owner_id:
            return lead
        lead.owner = chosen
        lead.department_id = chosen.department_id
        lead.version = F("version") + 1
        lead._history_user = None
        lead.save(update_fields=["owner", "department", "version", "updated_at"])
    lead.refresh_from_db()
    return lead


def assignment_apply_to_pool_entry(*, entry: PoolEntry, now: dt.datetime | None = None):
    """Hand a customer that just returned to its pool to whoever the pool-return rules pick,
    never back to the owner it left. Returns the customer, or None when no rule applies."""
    from kehu.core.permissions import is_pool_member
    from kehu.pool.services.pool import pool_entry_assign

    customer = entry.customer
    previous = entry.previous_owner_id

    def eligible(user: User) -> bool:
        return user.pk != previous and is_pool_member(user, entry.pool)

    with transaction.atomic():
        chosen = assignment_pick(
            scope=AssignmentScope.POOL_RETURNS,
            region=customer.region,
            industry=customer.industry,
            pool=entry.pool,
            eligible=eligible,
        )
        if chosen is None:
            return None
        try:
            with transaction.atomic():
                return pool_entry_assign(
                    entry=entry,
                    to=chosen,
                    by=None,
                    reason=_("Assignment rule"),
                    now=now or timezone.now(),
                )
        except ValidationError:
            return None  # e.g. the chosen user is at the 保有量 cap: it stays in the pool


# --- configuration --------------------------------------------------------------------------
def _clean_rule(rule: AssignmentRule) -> None:
    rule.name = (rule.name or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        rule.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if rule.scope == AssignmentScope.LEADS and rule.pool_id is not None:
        errors.setdefault("pool", []).append(_("A rule for new leads has no pool."))
    if errors:
        raise ValidationError(errors)


def assignment_rule_save(
    *,
    by: User,
    data: dict[str, Any],
    rule: AssignmentRule | None = None,
    members: Iterable[User] | None = None,
    regions=None,
    industries=None,
    expected_version: int | None = None,
) -> AssignmentRule:
    """Create (rule=None) or change an assignment rule; administrators only."""
    from kehu.customers.services import StaleEditError

    if not can_manage_pool(by):
        raise PermissionDenied
    with transaction.atomic():
        if rule is None:
            current = AssignmentRule()
        else:
            current = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
            if expected_version is None or int(expected_version) != current.version:
                raise StaleEditError(current, since=expected_version)
        for field in RULE_FIELDS:
            if field in data:
                setattr(current, field, data[field])
        _clean_rule(current)
        if rule is not None:
            current.version = F("version") + 1
        current._history_user = by
        current.save()
        if members is not None:
            current.members.set(members)
        if regions is not None:
            current.regions.set(regions)
        if industries is not None:
            current.industries.set(industries)
        if not current.department_id and not current.members.exists():
            raise ValidationError(
                {"department": _("Choose a team or the members who share the records.")}
            )
    current.refresh_from_db()
    return current


def assignment_rule_delete(*, rule: AssignmentRule, by: User) -> None:
    if not can_manage_pool(by):
        raise PermissionDenied
    rule.delete()
