"""Customer status changes (spec §2.5): a reason every time; to 成交客户 or 流失客户 only after the
department head approves. The reason goes into the remarks with the date, as in §3.1:
"2023-10-15：签订年度合同，状态变更为“成交客户”"."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.accounts.selectors import administrators, department_head_for
from kehu.core.access import can_edit_customer
from kehu.core.permissions import can_decide_status_change
from kehu.customers.models import Customer, Status, StatusChange, StatusChangeState

NEEDS_APPROVAL = frozenset({Status.CUSTOMER, Status.LOST})
REASON_MIN_LENGTH = 4


def _remark_line(*, reason: str, to_status: str, approver: User | None) -> str:
    """Written in the company language (zh-hans by default), whoever is reading later."""
    with translation.override(settings.LANGUAGE_CODE):
        line = _("%(date)s: %(reason)s; status changed to “%(status)s”") % {
            "date": timezone.localdate().isoformat(),
            "reason": reason,
            "status": Status(to_status).label,
        }
        if approver is not None:
            line += _(" (approved by %(user)s)") % {"user": approver.display_name}
    return line


def _apply(*, customer_id: int, change: StatusChange, by: User, approver: User | None) -> None:
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if customer.status != change.from_status:
        raise ValidationError(
            _(
                "The customer's status changed to “%(now)s” after this request was made; "
                "reject it and ask again."
            )
            % {"now": customer.get_status_display()}
        )
    line = _remark_line(reason=change.reason, to_status=change.to_status, approver=approver)
    customer.status = change.to_status
    customer.remarks = f"{customer.remarks.rstrip()}\n{line}".strip()
    customer.version = F("version") + 1
    customer._history_user = by
    customer.save()


def customer_change_status(*, customer: Customer, to: str, reason: str, by: User) -> StatusChange:
    """Change the status, or ask for approval when the target needs it. Returns the record."""
    if not can_edit_customer(by, customer):
        raise PermissionDenied
    reason = " ".join((reason or "").split())
    errors: dict[str, list[str]] = {}
    if to not in Status.values:
        errors["to_status"] = [_("Choose one of the four statuses.")]
    elif to == customer.status:
        errors["to_status"] = [_("The customer already has this status.")]
    if len(reason) < REASON_MIN_LENGTH:
        errors["reason"] = [
            _(
                "Give the reason for the change (at least %(n)d characters); it goes into the "
                "remarks."
            )
            % {"n": REASON_MIN_LENGTH}
        ]
    elif len(reason) > 500:
        errors["reason"] = [_("At most 500 characters.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = Customer.objects.select_for_update().get(pk=customer.pk)
        if StatusChange.objects.filter(customer=current, state=StatusChangeState.PENDING).exists():
            raise ValidationError(
                {
                    "to_status": [
                        _("A status change for this customer is already awaiting approval.")
                    ]
                }
            )
        change = StatusChange(
            customer=current,
            from_status=current.status,
            to_status=to,
            reason=reason,
            requested_by=by,
        )
        if to in NEEDS_APPROVAL:
            approver = department_head_for(current.department_id, excluding=by) or (
                administrators().exclude(pk=by.pk).first()
            )
            if approver is None:
                raise ValidationError(
                    {"to_status": [_("No department head or administrator can approve this.")]}
                )
            change.approver = approver
            change.state = StatusChangeState.PENDING
            change.save()
            _notify(
                approver,
                _("Approval needed: %(customer)s → %(status)s")
                % {"customer": current.name, "status": Status(to).label},
            )
            return change
        change.state = StatusChangeState.APPLIED
        change.decided_by = by
        change.decided_at = timezone.now()
        change.save()
        _apply(customer_id=current.pk, change=change, by=by, approver=None)
    _classify_later(current.pk)
    return change


def _notify(user: User, title: str, url: str | None = None) -> None:
    from kehu.interactions.services import notification_create

    notification_create(recipient=user, title=title, url=url or reverse("customers:approvals"))


def _classify_later(customer_id: int) -> None:
    from kehu.tags.tasks import classify_customer

    transaction.on_commit(lambda: classify_customer.delay(customer_id))


def _decide(change: StatusChange, by: User) -> StatusChange:
    current = StatusChange.objects.select_for_update().get(pk=change.pk)
    if current.requested_by_id == by.pk:
        raise ValidationError(_("You cannot approve or reject your own request."))
    if not can_decide_status_change(by, current):
        raise PermissionDenied
    if current.state != StatusChangeState.PENDING:
        raise ValidationError(_("This request has already been decided."))
    return current


def status_change_approve(*, change: StatusChange, by: User, note: str = "") -> StatusChange:
    with transaction.atomic():
        current = _decide(change, by)
        _apply(customer_id=current.customer_id, change=current, by=by, approver=by)
        current.state = StatusChangeState.APPROVED
        current.decided_by = by
        current.decided_at = timezone.now()
        current.decision_note = (note or "").strip()[:500]
        current.save()
        _notify(
            current.requested_by,
            _("Approved: %(customer)s is now “%(status)s”")
            % {"customer": current.customer.name, "status": Status(current.to_status).label},
            url=reverse("customers:detail", args=[current.customer_id]),
        )
    _classify_later(current.customer_id)
    return current


def status_change_reject(*, change: StatusChange, by: User, note: str) -> StatusChange:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say why the request is rejected.")]})
    with transaction.atomic():
        current = _decide(change, by)
        current.state = StatusChangeState.REJECTED
        current.decided_by = by
        current.decided_at = timezone.now()
        current.decision_note = note[:500]
        current.save()
        _notify(
            current.requested_by,
            _("Rejected: %(customer)s stays “%(status)s”: %(note)s")
            % {
                "customer": current.customer.name,
                "status": Status(current.from_status).label,
                "note": note,
            },
            url=reverse("customers:detail", args=[current.customer_id]),
        )
    return current


def approvals_inbox(*, user: User):
    """Requests waiting for this user's decision (administrators see every pending one)."""
    from kehu.core.permissions import is_administrator

    pending = StatusChange.objects.filter(state=StatusChangeState.PENDING).select_related(
        "customer", "requested_by", "approver"
    )
    if is_administrator(user):
        return pending.exclude(requested_by=user)
    return pending.filter(approver=user)


def status_change_pending(*, customer: Customer) -> StatusChange | None:
    """The request waiting for approval on this customer, if any (at most one)."""
    return (
        customer.status_changes.filter(state=StatusChangeState.PENDING)
        .select_related("approver", "requested_by")
        .first()
    )


def status_changes_of(*, customer: Customer):
    """Every status change of a customer, newest first (the customer was fetched through
    core.access, so the reader may see it)."""
    return customer.status_changes.select_related("requested_by", "approver", "decided_by")


def approvals_decided(*, user: User, days: int = 30):
    """Requests this user decided, or was asked to decide, in the last `days` days."""
    since = timezone.now() - dt.timedelta(days=days)
    return (
        StatusChange.objects.visible_to(user)
        .filter(Q(decided_by=user) | Q(approver=user), decided_at__gte=since)
        .exclude(state=StatusChangeState.APPLIED)
        .select_related("customer", "requested_by", "approver", "decided_by")
        .order_by("-decided_at", "-id")
    )


def status_changes_requested(*, user: User, days: int = 30):
    """The user's own requests: every pending one, and those decided in the last `days` days."""
    since = timezone.now() - dt.timedelta(days=days)
    return (
        StatusChange.objects.visible_to(user)
        .filter(requested_by=user)
        .exclude(state=StatusChangeState.APPLIED)
        .filter(Q(state=StatusChangeState.PENDING) | Q(decided_at__gte=since))
        .select_related("customer", "approver", "decided_by")
        .order_by("-created_at", "-id")
    )
