"""Writes on segments, and handing a segment's target list to another owner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.utils import bulk_update_with_history

from kehu.accounts.models import Department, User
from kehu.accounts.selectors import assignable_users
from kehu.core.permissions import can_assign_customers, can_change_segment
from kehu.customers.models import Customer, CustomerShare
from kehu.customers.services import StaleEditError
from kehu.segments.conditions import check_definition
from kehu.segments.models import Segment
from kehu.segments.selectors import segment_customers

ASSIGN_BATCH = 500
# One assignment runs in one request and one transaction; larger lists are split by narrowing
# the segment (by region, by industry …), which also keeps each change reviewable.
ASSIGN_MAX = 5000


def _clean(segment: Segment) -> None:
    errors: dict[str, list[str]] = {}
    try:
        segment.definition = check_definition(segment.definition)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            errors.update(exc.message_dict)
        else:  # a definition that is not an object at all comes as a plain message
            errors["definition"] = exc.messages
    try:
        segment.full_clean(exclude=["owner", "definition", "version"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _share(
    segment: Segment,
    departments: list[Department] | None,
    users: list[User] | None,
) -> None:
    if departments is not None:
        segment.shared_departments.set(departments)
    if users is not None:
        segment.shared_users.set([u for u in users if u.pk != segment.owner_id])


def segment_create(
    *,
    by: User,
    name: str,
    definition: Any,
    description: str = "",
    shared_departments: list[Department] | None = None,
    shared_users: list[User] | None = None,
) -> Segment:
    segment = Segment(owner=by, name=name, description=description, definition=definition)
    _clean(segment)
    with transaction.atomic():
        segment._history_user = by
        segment.save()
        _share(segment, shared_departments, shared_users)
    return segment


def segment_update(
    *,
    segment: Segment,
    by: User,
    data: dict[str, Any],
    expected_version: int | None,
    shared_departments: list[Department] | None = None,
    shared_users: list[User] | None = None,
) -> Segment:
    """Change name, description, conditions and sharing; refused when stale."""
    if not can_change_segment(by, segment):
        raise PermissionDenied
    with transaction.atomic():
        current = Segment.objects.select_for_update().get(pk=segment.pk)
        if expected_version is None or int(expected_version) != current.version:
            raise StaleEditError(current)
        for name in ("name", "description", "definition"):
            if name in data:
                setattr(current, name, data[name])
        _clean(current)
        current.version = F("version") + 1
        current._history_user = by
        current.save()
        _share(current, shared_departments, shared_users)
    current.refresh_from_db()
    return current


def segment_delete(*, segment: Segment, by: User) -> None:
    if not can_change_segment(by, segment):
        raise PermissionDenied
    segment._history_user = by
    segment.delete()


@dataclass
class AssignPlan:
    """What an assignment would do: customers it moves, and those it leaves as they are."""

    to_move: int
    already_owned: int
    read_only: int

    @property
    def total(self) -> int:
        return self.to_move + self.already_owned + self.read_only


def _targets(*, segment: Segment, by: User):
    matching = segment_customers(user=by, definition=segment.definition).order_by()
    return matching, matching.editable_by(by)


def segment_assign_plan(*, segment: Segment, by: User, to_user: User | None) -> AssignPlan:
    """Counts for the confirmation page (three queries, no rows read)."""
    matching, editable = _targets(segment=segment, by=by)
    total = matching.count()
    editable_count = editable.count()
    owned = editable.filter(owner=to_user).count() if to_user is not None else 0
    return AssignPlan(
        to_move=editable_count - owned, already_owned=owned, read_only=total - editable_count
    )


def _notify_new_owner(*, segment: Segment, to_user: User, by: User, count: int) -> None:
    """One notification per assignment, not one per customer: the list of their customers
    (filtered to them) is where the new owner starts."""
    from kehu.interactions.services import notification_create

    with translation.override(settings.LANGUAGE_CODE):
        notification_create(
            recipient=to_user,
            title=ngettext(
                "%(by)s assigned you %(n)d customer from segment %(name)s",
                "%(by)s assigned you %(n)d customers from segment %(name)s",
                count,
            )
            % {"by": by.display_name, "n": count, "name": segment.name},
            url=f"{reverse('customers:list')}?owner={to_user.pk}",
        )


def segment_assign(*, segment: Segment, to_user: User, by: User) -> AssignPlan:
    """Make `to_user` the owner of every customer of the target list that `by` may edit.

    Customers `by` may only read stay as they are (counted in the result); the new owner's
    related-team places on the moved customers go (they own them now). History records the
    change per customer, as an edit of the owner field does.
    """
    if not can_assign_customers(by):
        raise PermissionDenied
    if not to_user.is_active or not assignable_users(by).filter(pk=to_user.pk).exists():
        raise ValidationError(
            {"to_user": [_("You may only assign customers to users inside your own data scope.")]}
        )
    plan = segment_assign_plan(segment=segment, by=by, to_user=to_user)
    if plan.to_move > ASSIGN_MAX:
        raise ValidationError(
            {
                "to_user": [
                    _(
                        "At most %(limit)d customers can be assigned at once; this list has "
                        "%(n)d. Narrow the segment (for example by region) and assign each part."
                    )
                    % {"limit": ASSIGN_MAX, "n": plan.to_move}
                ]
            }
        )
    _matching, editable = _targets(segment=segment, by=by)
    now = timezone.now()
    with transaction.atomic():
        ids = list(editable.exclude(owner=to_user).values_list("pk", flat=True))
        customers = list(Customer.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        for customer in customers:
            customer.owner = to_user
            customer.department_id = to_user.department_id
            customer.version += 1
            customer.updated_at = now
        bulk_update_with_history(
            customers,
            Customer,
            ["owner", "department", "version", "updated_at"],
            batch_size=ASSIGN_BATCH,
            default_user=by,
            default_change_reason=_("Assigned from segment %(name)s") % {"name": segment.name},
        )
        CustomerShare.objects.filter(customer_id__in=ids, user=to_user).delete()
        if customers and to_user.pk != by.pk:
            _notify_new_owner(segment=segment, to_user=to_user, by=by, count=len(customers))
    return AssignPlan(
        to_move=len(customers),
        already_owned=plan.already_owned,
        read_only=plan.read_only,
    )
