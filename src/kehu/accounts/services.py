"""Writes on the organisation: handover (离职交接) of everything a departing user owns."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Handover, HandoverState, User
from kehu.accounts.selectors import department_head_for


def handover_request(
    *, from_user: User, to_user: User, by: User, deactivate: bool = False, note: str = ""
) -> Handover:
    """An administrator or department head asks; the departing user's department head confirms
    (at once when the head is the one asking)."""
    from kehu.core.permissions import can_request_handover

    if not can_request_handover(by, from_user):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if to_user.pk == from_user.pk:
        errors["to_user"] = [_("Choose a different user to take over.")]
    elif not to_user.is_active:
        errors["to_user"] = [_("The user taking over must be active.")]
    if Handover.objects.filter(from_user=from_user, state=HandoverState.PENDING).exists():
        errors["from_user"] = [_("A handover for this user is already waiting for confirmation.")]
    approver = department_head_for(from_user.department_id, excluding=from_user)
    if approver is None:
        errors["from_user"] = [
            _("%(user)s's department has no head to confirm the handover; set one first.")
            % {"user": from_user.display_name}
        ]
    if errors:
        raise ValidationError(errors)
    handover = Handover.objects.create(
        from_user=from_user,
        to_user=to_user,
        requested_by=by,
        approver=approver,
        deactivate=deactivate,
        note=(note or "").strip()[:300],
    )
    if approver.pk == by.pk:
        return handover_confirm(handover=handover, by=by)
    from kehu.interactions.services import notification_create

    notification_create(
        recipient=approver,
        title=_("Handover to confirm: %(from)s → %(to)s")
        % {"from": from_user.display_name, "to": to_user.display_name},
        url=reverse("accounts:handover-detail", args=[handover.pk]),
    )
    return handover


def handover_confirm(*, handover: Handover, by: User) -> Handover:
    """Move customers (with their contacts, interactions and tags), related-team places, open
    tasks and pending approvals in one transaction; record what moved."""
    from kehu.core.permissions import can_confirm_handover
    from kehu.customers.models import Customer, CustomerShare, StatusChange, StatusChangeState
    from kehu.interactions.models import Interaction, Task, TaskStatus

    if not can_confirm_handover(by, handover):
        raise PermissionDenied
    with transaction.atomic():
        current = Handover.objects.select_for_update().get(pk=handover.pk)
        if current.state != HandoverState.PENDING:
            raise ValidationError(_("This handover has already been decided."))
        source, target = current.from_user, current.to_user
        if not target.is_active:
            raise ValidationError({"to_user": [_("The user taking over must be active.")]})
        customers = list(Customer.objects.select_for_update().filter(owner=source))
        codes = [c.code for c in customers]
        for customer in customers:
            customer.owner = target
            customer.department_id = target.department_id
            customer.version = F("version") + 1
            customer._history_user = by
            customer.save(update_fields=["owner", "department", "version", "updated_at"])
        customer_ids = [c.pk for c in customers]
        # The new owner no longer needs a related-team place on customers they now own.
        CustomerShare.objects.filter(customer_id__in=customer_ids, user=target).delete()
        shares_moved = 0
        for share in CustomerShare.objects.filter(user=source):
            if (
                share.customer.owner_id == target.pk
                or CustomerShare.objects.filter(customer_id=share.customer_id, user=target).exists()
            ):
                share.delete()
            else:
                share.user = target
                share.save(update_fields=["user", "updated_at"])
                shares_moved += 1
        open_tasks = Task.objects.filter(assignee=source, status=TaskStatus.OPEN)
        task_ids = list(open_tasks.values_list("pk", flat=True))
        open_tasks.update(assignee=target, updated_at=timezone.now())
        requested = StatusChange.objects.filter(
            requested_by=source, state=StatusChangeState.PENDING
        ).update(requested_by=target)
        to_decide = (
            StatusChange.objects.filter(approver=source, state=StatusChangeState.PENDING)
            .exclude(requested_by=target)
            .update(approver=target)
        )
        current.report = {
            "customers": len(customer_ids),
            "customer_codes": codes,
            "contacts": sum(c.contacts.count() for c in customers),
            "interactions": Interaction.objects.filter(customer_id__in=customer_ids).count(),
            "tasks": len(task_ids),
            "team_places": shares_moved,
            "approvals_requested": requested,
            "approvals_to_decide": to_decide,
            "deactivated": current.deactivate,
        }
        current.state = HandoverState.DONE
        current.decided_at = timezone.now()
        current.save()
        if current.deactivate:
            User.objects.filter(pk=source.pk).update(is_active=False)
    return current


def handover_reject(*, handover: Handover, by: User, note: str = "") -> Handover:
    from kehu.core.permissions import can_confirm_handover

    if not can_confirm_handover(by, handover):
        raise PermissionDenied
    with transaction.atomic():
        current = Handover.objects.select_for_update().get(pk=handover.pk)
        if current.state != HandoverState.PENDING:
            raise ValidationError(_("This handover has already been decided."))
        current.state = HandoverState.REJECTED
        current.decided_at = timezone.now()
        current.note = (note or current.note)[:300]
        current.save()
    return current
