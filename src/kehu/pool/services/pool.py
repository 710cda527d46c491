"""Public pool writes: claim, assign, return (by hand and by the nightly job), configuration.

Claims are race-safe: the claimant's user row is locked first (their limits are counted
after it, so two claims of one user never both pass a limit), then the entry (so two users
claiming one customer: the second finds it claimed). Every path locks in the order
user → entry → customer. A refusal raises ValidationError naming the limit; nothing changes.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from kehu.accounts.models import Department, User
from kehu.core.permissions import (
    can_assign_from_pool,
    can_claim,
    can_manage_pool,
    can_return_to_pool,
)
from kehu.customers.models import Customer, CustomerShare, Status
from kehu.interactions.models import Interaction
from kehu.pool.models import (
    Pool,
    PoolEntry,
    PoolEntryState,
    PoolEvent,
    PoolEventAction,
    PoolRule,
)

logger = logging.getLogger(__name__)

POOL_FIELDS = ("name", "is_open", "auto_assign", "is_active")
RULE_FIELDS = (
    "days_without_follow_up",
    "notice_days",
    "max_held",
    "max_claims_per_day",
    "cooldown_days",
)


# --- which pool a customer belongs to -------------------------------------------------------
def pool_by_department() -> dict[int, Pool]:
    """Each department's pool: the active pool of the nearest member department at or above
    it (the lowest id when two pools share a department). Two queries."""
    own: dict[int, Pool] = {}
    for pool in Pool.objects.filter(is_active=True).prefetch_related("departments").order_by("id"):
        for department in pool.departments.all():
            own.setdefault(department.pk, pool)
    parents = dict(Department.objects.values_list("id", "parent_id"))
    found: dict[int, Pool] = {}
    for department_id in parents:
        current, seen = department_id, set()
        while current is not None and current not in seen:
            if current in own:
                found[department_id] = own[current]
                break
            seen.add(current)
            current = parents.get(current)
    return found


def pool_for_customer(customer: Customer) -> Pool | None:
    if customer.department_id is None:
        return None
    return pool_by_department().get(customer.department_id)


def pool_keeper_ids() -> set[int]:
    return set(Pool.objects.values_list("keeper_id", flat=True))


# --- configuration --------------------------------------------------------------------------
def _set_relations(pool: Pool, *, departments=None, members=None, administrators=None) -> None:
    if departments is not None:
        pool.departments.set(departments)
    if members is not None:
        pool.members.set(members)
    if administrators is not None:
        pool.administrators.set(administrators)


def pool_create(
    *,
    by: User,
    data: dict[str, Any],
    departments=(),
    members=(),
    administrators=(),
) -> Pool:
    """A new pool with its keeper, the inactive placeholder user that owns its customers."""
    if not can_manage_pool(by):
        raise PermissionDenied
    pool = Pool(**{k: data[k] for k in POOL_FIELDS if k in data})
    pool.name = (pool.name or "").strip()
    try:
        pool.full_clean(exclude=["keeper"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    with transaction.atomic():
        keeper = User(
            username=f"pool-keeper-{get_random_string(12).lower()}",
            full_name=_("Public pool: %(name)s") % {"name": pool.name},
            is_active=False,
        )
        keeper.set_unusable_password()
        keeper.save()
        pool.keeper = keeper
        pool._history_user = by
        pool.save()
        _set_relations(
            pool, departments=departments, members=members, administrators=administrators
        )
    return pool


def pool_update(
    *,
    pool: Pool,
    by: User,
    data: dict[str, Any],
    expected_version: int | None,
    departments=None,
    members=None,
    administrators=None,
) -> Pool:
    from kehu.customers.services import StaleEditError

    if not can_manage_pool(by, pool):
        raise PermissionDenied
    with transaction.atomic():
        current = Pool.objects.select_for_update().get(pk=pool.pk)
        if expected_version is None or int(expected_version) != current.version:
            raise StaleEditError(current, since=expected_version)
        for field in POOL_FIELDS:
            if field in data:
                setattr(current, field, data[field])
        current.name = (current.name or "").strip()
        try:
            current.full_clean(exclude=["keeper"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        current.version = F("version") + 1
        current._history_user = by
        current.save()
        if administrators is not None and not can_manage_pool(by):
            # A pool administrator may not remove themselves by accident and lock the pool.
            administrators = {*administrators, by}
        _set_relations(
            current, departments=departments, members=members, administrators=administrators
        )
        # The keeper's name is what lists show as the owner of the pool's customers.
        User.objects.filter(pk=current.keeper_id).update(
            full_name=_("Public pool: %(name)s") % {"name": current.name}
        )
    current.refresh_from_db()
    return current


def pool_rule_set(*, pool: Pool, by: User, status: str, data: dict[str, Any]) -> PoolRule:
    """Create or change the rule for one customer status of the pool."""
    if not can_manage_pool(by, pool):
        raise PermissionDenied
    if status not in Status.values:
        raise ValidationError({"status": _("Choose a customer status.")})
    with transaction.atomic():
        rule = PoolRule.objects.select_for_update().filter(pool=pool, status=status).first()
        rule = rule or PoolRule(pool=pool, status=status)
        for field in RULE_FIELDS:
            if field in data:
                setattr(rule, field, data[field])
        try:
            rule.full_clean(exclude=["pool"], validate_unique=False)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        rule.save()
    return rule


def pool_rule_delete(*, rule: PoolRule, by: User) -> None:
    if not can_manage_pool(by, rule.pool):
        raise PermissionDenied
    rule.delete()


# --- handing customers out and taking them back ---------------------------------------------
def _rule_for(pool: Pool, status: str) -> PoolRule | None:
    return PoolRule.objects.filter(pool=pool, status=status).first()


def _today_start(now: dt.datetime) -> dt.datetime:
    day = timezone.localdate(now)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _check_limits(*, user: User, entry: PoolEntry, customer: Customer, now: dt.datetime) -> None:
    """Every limit a claim must pass, each refused with a message naming it."""
    pool = entry.pool
    rule = _rule_for(pool, customer.status)
    cap = settings.KEHU_POOL_HOLDING_CAP
    if cap:
        owned = Customer.objects.filter(owner=user).count()
        if owned >= cap:
            raise ValidationError(
                {
                    "holding_cap": _(
                        "You already own %(count)s customers, the most one user may hold "
                        "(保有量 %(limit)s). Return some to the pool before claiming more."
                    )
                    % {"count": owned, "limit": cap}
                }
            )
    if rule is None:
        return
    if (
        rule.cooldown_days
        and entry.previous_owner_id == user.pk
        and entry.returned_at is not None
        and now < entry.returned_at + dt.timedelta(days=rule.cooldown_days)
    ):
        until = timezone.localdate(entry.returned_at + dt.timedelta(days=rule.cooldown_days))
        raise ValidationError(
            {
                "cooldown_days": _(
                    "This customer left you on %(date)s; you may claim it again from %(until)s "
                    "(cooldown of %(days)s days)."
                )
                % {
                    "date": timezone.localdate(entry.returned_at).isoformat(),
                    "until": until.isoformat(),
                    "days": rule.cooldown_days,
                }
            }
        )
    status_label = customer.get_status_display()
    if rule.max_held is not None:
        held = Customer.objects.filter(
            owner=user,
            status=customer.status,
            pool_entry__pool=pool,
            pool_entry__state=PoolEntryState.HELD,
        ).count()
        if held >= rule.max_held:
            raise ValidationError(
                {
                    "max_held": _(
                        "You already hold %(count)s %(status)s customers from %(pool)s; the "
                        "limit is %(limit)s at once."
                    )
                    % {
                        "count": held,
                        "status": status_label,
                        "pool": pool.name,
                        "limit": rule.max_held,
                    }
                }
            )
    if rule.max_claims_per_day is not None:
        today = PoolEvent.objects.filter(
            actor=user,
            action=PoolEventAction.CLAIMED,
            pool=pool,
            status=customer.status,
            at__gte=_today_start(now),
        ).count()
        if today >= rule.max_claims_per_day:
            raise ValidationError(
                {
                    "max_claims_per_day": _(
                        "You have claimed %(count)s %(status)s customers from %(pool)s today; "
                        "the limit is %(limit)s a day. Try again tomorrow."
                    )
                    % {
                        "count": today,
                        "status": status_label,
                        "pool": pool.name,
                        "limit": rule.max_claims_per_day,
                    }
                }
            )


def _lock_entry_in_pool(entry: PoolEntry) -> PoolEntry:
    current = PoolEntry.objects.select_for_update().select_related("pool").get(pk=entry.pk)
    if current.state != PoolEntryState.IN_POOL:
        raise ValidationError(
            {
                "customer": _(
                    "Someone claimed this customer a moment ago; it is no longer in the pool."
                )
            }
        )
    return current


def _give(
    *,
    entry: PoolEntry,
    customer: Customer,
    to: User,
    action: str,
    by: User | None,
    now: dt.datetime,
    reason: str = "",
) -> Customer:
    """Make `to` the owner of a pool customer; entry, customer and event in one go."""
    customer.owner = to
    customer.department_id = to.department_id
    customer.version = F("version") + 1
    customer._history_user = by
    customer.save(update_fields=["owner", "department", "version", "updated_at"])
    entry.state = PoolEntryState.HELD
    entry.held_since = now
    entry.notice_due_date = None
    entry.save(update_fields=["state", "held_since", "notice_due_date"])
    PoolEvent.objects.create(
        pool=entry.pool,
        customer=customer,
        action=action,
        actor=by,
        from_user=entry.previous_owner,
        to_user=to,
        status=customer.status,
        reason=reason[:300],
        at=now,
    )
    customer.refresh_from_db()
    return customer


def pool_entry_claim(*, entry: PoolEntry, by: User, now: dt.datetime | None = None) -> Customer:
    """领取: a member takes a customer from an open pool, within the limits."""
    now = now or timezone.now()
    with transaction.atomic():
        # The claimant's row first: their counts below see every claim committed before.
        User.objects.select_for_update().filter(pk=by.pk).values_list("pk").get()
        current = _lock_entry_in_pool(entry)
        if not current.pool.is_open:
            raise ValidationError(
                {
                    "pool": _(
                        "%(pool)s is a closed pool: only its administrators assign customers "
                        "from it."
                    )
                    % {"pool": current.pool.name}
                }
            )
        if not can_claim(by, current.pool):
            raise PermissionDenied
        customer = Customer.objects.select_for_update().get(pk=current.customer_id)
        _check_limits(user=by, entry=current, customer=customer, now=now)
        return _give(
            entry=current,
            customer=customer,
            to=by,
            action=PoolEventAction.CLAIMED,
            by=by,
            now=now,
        )


def pool_entry_assign(
    *, entry: PoolEntry, to: User, by: User | None, reason: str = "", now: dt.datetime | None = None
) -> Customer:
    """分配: a pool administrator or manager hands a pool customer to a member (by=None: the
    assignment rules). The per-rule claim limits are for claims; the 保有量 cap still holds."""
    now = now or timezone.now()
    if by is not None and not can_assign_from_pool(by, entry.pool):
        raise PermissionDenied
    if not to.is_active:
        raise ValidationError({"to": _("The owner must be an active user.")})
    from kehu.core.permissions import is_pool_member

    if not is_pool_member(to, entry.pool):
        raise ValidationError(
            {"to": _("%(user)s is not a member of this pool.") % {"user": to.display_name}}
        )
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=to.pk).values_list("pk").get()
        current = _lock_entry_in_pool(entry)
        cap = settings.KEHU_POOL_HOLDING_CAP
        if cap and Customer.objects.filter(owner=to).count() >= cap:
            raise ValidationError(
                {
                    "to": _("%(user)s already owns %(limit)s customers (保有量).")
                    % {"user": to.display_name, "limit": cap}
                }
            )
        customer = Customer.objects.select_for_update().get(pk=current.customer_id)
        return _give(
            entry=current,
            customer=customer,
            to=to,
            action=PoolEventAction.ASSIGNED,
            by=by,
            now=now,
            reason=reason,
        )


def _take_back(
    *,
    customer: Customer,
    pool: Pool,
    action: str,
    by: User | None,
    reason: str,
    now: dt.datetime,
) -> PoolEntry:
    """Move a locked customer into `pool`: the keeper owns it, its related team is cleared
    (they would keep seeing it otherwise), and the former owner is told."""
    previous = customer.owner
    entry, _created = PoolEntry.objects.select_for_update().get_or_create(
        customer=customer, defaults={"pool": pool}
    )
    customer.owner = pool.keeper
    customer.department = None
    customer.version = F("version") + 1
    customer._history_user = by
    customer.save(update_fields=["owner", "department", "version", "updated_at"])
    customer.refresh_from_db()
    CustomerShare.objects.filter(customer=customer).delete()
    entry.pool = pool
    entry.state = PoolEntryState.IN_POOL
    entry.returned_at = now
    entry.previous_owner = previous
    entry.reason = reason[:300]
    entry.held_since = None
    entry.notice_due_date = None
    entry.save()
    PoolEvent.objects.create(
        pool=pool,
        customer=customer,
        action=action,
        actor=by,
        from_user=previous,
        status=customer.status,
        reason=reason[:300],
        at=now,
    )
    if by is None or by.pk != previous.pk:
        with translation.override(settings.LANGUAGE_CODE):
            _notify(
                recipient=previous,
                title=_("%(name)s went back to the public pool %(pool)s")
                % {"name": customer.name, "pool": pool.name},
                body=reason,
            )
    return entry


def customer_return_to_pool(
    *, customer: Customer, by: User, reason: str, now: dt.datetime | None = None
) -> PoolEntry:
    """退回公海: the owner gives a customer up, with a reason."""
    now = now or timezone.now()
    if not can_return_to_pool(by, customer):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the customer goes back to the pool.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("At most 300 characters.")})
    pool = pool_for_customer(customer)
    if pool is None:
        raise ValidationError(
            {"customer": _("No public pool takes customers of this customer's department.")}
        )
    with transaction.atomic():
        locked = Customer.objects.select_for_update().select_related("owner").get(pk=customer.pk)
        if locked.owner_id in pool_keeper_ids():
            raise ValidationError({"customer": _("This customer is already in a public pool.")})
        return _take_back(
            customer=locked,
            pool=pool,
            action=PoolEventAction.RELEASED,
            by=by,
            reason=reason,
            now=now,
        )


def _notify(*, recipient: User, title: str, body: str = "", url: str = "") -> None:
    from kehu.interactions.services import notification_create

    notification_create(recipient=recipient, title=title, body=body, url=url)


# --- the nightly job ------------------------------------------------------------------------
@dataclass
class RecycleResult:
    noticed: int = 0
    returned: int = 0
    assigned: int = 0


def _owner_last_follow_up():
    """The latest interaction on the customer followed by its owner (a qualifying follow-up)."""
    return Subquery(
        Interaction.objects.filter(customer_id=OuterRef("pk"), follower_id=OuterRef("owner_id"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )


def _with_last_activity(customers):
    """Since when the owner has had the customer without following it up: the latest of its
    creation, the owner's last interaction on it and the claim or assignment that gave it to
    the owner."""
    created = F("created_at")
    return customers.annotate(
        last_activity=Greatest(
            created,
            Coalesce(_owner_last_follow_up(), created),
            Coalesce(F("pool_entry__held_since"), created),
        )
    )


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def pool_recycle(*, now: dt.datetime | None = None) -> RecycleResult:
    """Tell owners N days ahead, then return customers nobody followed up for the rule's days.

    Idempotent: a notice is sent once per customer and return date (a unique constraint), and
    each customer is returned in its own transaction after its state is checked again under
    lock, so a rerun, or two workers, change nothing twice.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = RecycleResult()
    by_department = pool_by_department()
    keepers = pool_keeper_ids()
    pools: dict[int, list[int]] = {}
    for department_id, pool in by_department.items():
        pools.setdefault(pool.pk, []).append(department_id)
    pool_objects = {pool.pk: pool for pool in by_department.values()}
    for pool_id, department_ids in pools.items():
        pool = pool_objects[pool_id]
        for rule in PoolRule.objects.filter(pool=pool):
            notice_cutoff = _midnight(
                today - dt.timedelta(days=rule.days_without_follow_up - rule.notice_days - 1)
            )
            candidates = (
                _with_last_activity(
                    Customer.objects.filter(
                        status=rule.status,
                        department_id__in=department_ids,
                        created_at__lt=notice_cutoff,
                    ).exclude(owner_id__in=keepers)
                )
                .filter(last_activity__lt=notice_cutoff)
                .values_list("pk", "last_activity")
                .order_by("pk")
            )
            for customer_id, last_activity in candidates.iterator(chunk_size=500):
                due = timezone.localdate(last_activity) + dt.timedelta(
                    days=rule.days_without_follow_up
                )
                try:
                    if due <= today:
                        if _return_one(customer_id, pool=pool, rule=rule, today=today, now=now):
                            result.returned += 1
                            if pool.auto_assign and _auto_assign(customer_id, pool, now):
                                result.assigned += 1
                    elif _notice_one(customer_id, pool=pool, due=due, now=now):
                        result.noticed += 1
                except Exception:  # one bad record must not stop the night's run
                    logger.exception("pool recycle failed for customer %s", customer_id)
    return result


def _due_date(customer_id: int, rule: PoolRule) -> dt.date | None:
    row = (
        _with_last_activity(Customer.objects.filter(pk=customer_id, status=rule.status))
        .values_list("last_activity", flat=True)
        .first()
    )
    if row is None:
        return None
    return timezone.localdate(row) + dt.timedelta(days=rule.days_without_follow_up)


def _notice_one(customer_id: int, *, pool: Pool, due: dt.date, now: dt.datetime) -> bool:
    with transaction.atomic():
        customer = Customer.objects.select_for_update().select_related("owner").get(pk=customer_id)
        entry, _created = PoolEntry.objects.select_for_update().get_or_create(
            customer=customer, defaults={"pool": pool}
        )
        if entry.notice_due_date == due:
            return False
        try:
            with transaction.atomic():
                PoolEvent.objects.create(
                    pool=pool,
                    customer=customer,
                    action=PoolEventAction.NOTICE,
                    to_user=customer.owner,
                    status=customer.status,
                    due_date=due,
                    at=now,
                )
        except IntegrityError:
            return False  # told already for this date (e.g. a follow-up was deleted since)
        entry.pool = pool
        entry.notice_due_date = due
        entry.save(update_fields=["pool", "notice_due_date"])
        with translation.override(settings.LANGUAGE_CODE):
            _notify(
                recipient=customer.owner,
                title=_("%(name)s returns to the public pool on %(date)s")
                % {"name": customer.name, "date": due.isoformat()},
                body=_(
                    "You have not followed this customer up. Log an interaction before "
                    "%(date)s to keep it."
                )
                % {"date": due.isoformat()},
                url=reverse("customers:detail", args=[customer.pk]),
            )
    return True


def _return_one(
    customer_id: int, *, pool: Pool, rule: PoolRule, today: dt.date, now: dt.datetime
) -> bool:
    with transaction.atomic():
        customer = Customer.objects.select_for_update().select_related("owner").get(pk=customer_id)
        # Checked again under lock: an interaction or a claim since the query keeps it.
        due = _due_date(customer_id, rule)
        if due is None or due > today or customer.owner_id in pool_keeper_ids():
            return False
        with translation.override(settings.LANGUAGE_CODE):
            reason = _("No follow-up for %(days)s days") % {"days": rule.days_without_follow_up}
            _take_back(
                customer=customer,
                pool=pool,
                action=PoolEventAction.RETURNED,
                by=None,
                reason=reason,
                now=now,
            )
    return True


def _auto_assign(customer_id: int, pool: Pool, now: dt.datetime) -> bool:
    from kehu.pool.services.assignment import assignment_apply_to_pool_entry

    entry = PoolEntry.objects.select_related("pool", "customer").get(customer_id=customer_id)
    return assignment_apply_to_pool_entry(entry=entry, now=now) is not None


def pool_entry_ids_claimable(*, user: User, customer_ids) -> dict[int, int]:
    """For the duplicate warning: {customer id: entry id} of those among `customer_ids` that
    sit in an open pool `user` may claim from."""
    from kehu.core.access import pool_scope_q

    member_pools = Pool.objects.filter(pool_scope_q(user, role="member"), is_open=True)
    entries = PoolEntry.objects.filter(
        Q(customer_id__in=list(customer_ids)),
        state=PoolEntryState.IN_POOL,
        pool__in=member_pools.values("pk"),
    )
    return dict(entries.values_list("customer_id", "pk"))
