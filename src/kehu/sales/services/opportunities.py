"""Opportunity (商机) writes and the pipeline's stage rules.

Stage rules, applied by ``opportunity_move`` (board, detail page and API alike):

1. Only active stages can be chosen. Between open stages an opportunity moves freely, forward
   (skipping stages is allowed: deals do jump) and back.
2. Closing — moving to a won or lost stage — needs the expected amount; a lost stage also
   needs the loss reason. The close time is recorded.
3. A closed (won or lost) opportunity does not move, except when it is reopened explicitly
   (``reopen=True``) by someone who may edit the customer; the owner alone may not.
4. Reopening or moving to an open stage clears the loss reason and the close time.
5. Every move names the version it was based on; a stale one is refused (StaleEditError).

A refused move raises ValidationError (rule broken) or PermissionDenied (no right); nothing
is written either way.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import users_who_can_see
from kehu.core.permissions import (
    can_change_opportunity,
    can_create_opportunity,
    can_edit_customer,
    can_reopen_opportunity,
)
from kehu.customers.models import Customer
from kehu.customers.services import StaleEditError
from kehu.recyclebin.services import recyclebin_delete
from kehu.sales.models import Lead, Opportunity, PipelineStage

OPPORTUNITY_FIELDS = ("name", "amount", "expected_close_date", "competitor")


def first_open_stage() -> PipelineStage:
    stage = (
        PipelineStage.objects.filter(is_active=True, is_won=False, is_lost=False)
        .order_by("sort_order", "id")
        .first()
    )
    if stage is None:
        raise ValidationError({"stage": _("No open pipeline stage is configured.")})
    return stage


def _check_owner(*, owner: User, customer: Customer, errors: dict[str, list[str]]) -> None:
    if not owner.is_active:
        errors.setdefault("owner", []).append(_("The owner must be an active user."))
    elif not users_who_can_see(customer).filter(pk=owner.pk).exists():
        errors.setdefault("owner", []).append(
            _("The owner must be able to see the customer %(name)s.") % {"name": customer.name}
        )


def _check_closing(
    opportunity: Opportunity, stage: PipelineStage, errors: dict[str, list[str]]
) -> None:
    """Rule 2: what closing in `stage` needs."""
    if not stage.is_closed:
        return
    if opportunity.amount is None:
        errors.setdefault("amount", []).append(
            _("Enter the expected amount before closing the opportunity as %(stage)s.")
            % {"stage": stage.label}
        )
    if stage.is_lost and not (opportunity.loss_reason or "").strip():
        errors.setdefault("loss_reason", []).append(
            _("Give the loss reason to move the opportunity to %(stage)s.") % {"stage": stage.label}
        )


def _clean(opportunity: Opportunity, errors: dict[str, list[str]]) -> None:
    opportunity.name = (opportunity.name or "").strip()
    opportunity.competitor = (opportunity.competitor or "").strip()
    opportunity.loss_reason = (opportunity.loss_reason or "").strip()
    try:
        opportunity.full_clean(exclude=["customer", "owner", "stage", "lead"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)


def opportunity_create(
    *,
    by: User,
    customer: Customer,
    data: dict[str, Any],
    stage: PipelineStage | None = None,
    owner: User | None = None,
    lead: Lead | None = None,
) -> Opportunity:
    """Open an opportunity on `customer` (in the first open stage unless told otherwise)."""
    if not can_create_opportunity(by, customer):
        raise PermissionDenied
    owner = owner or by
    stage = stage or first_open_stage()
    errors: dict[str, list[str]] = {}
    opportunity = Opportunity(
        customer=customer,
        stage=stage,
        owner=owner,
        lead=lead,
        created_by=by,
        loss_reason=data.get("loss_reason") or "",
        **{k: data[k] for k in OPPORTUNITY_FIELDS if k in data},
    )
    if not stage.is_active:
        errors.setdefault("stage", []).append(_("This stage is no longer in use."))
    _check_owner(owner=owner, customer=customer, errors=errors)
    _clean(opportunity, errors)
    _check_closing(opportunity, stage, errors)
    if errors:
        raise ValidationError(errors)
    if stage.is_closed:
        opportunity.closed_at = timezone.now()
    if not stage.is_lost:
        opportunity.loss_reason = ""
    with transaction.atomic():
        opportunity._history_user = by
        opportunity.save()
    return opportunity


def _lock(opportunity: Opportunity, expected_version: int | None) -> Opportunity:
    current = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if expected_version is None or int(expected_version) != current.version:
        raise StaleEditError(current, since=expected_version)
    return current


def opportunity_update(
    *,
    opportunity: Opportunity,
    by: User,
    data: dict[str, Any],
    expected_version: int | None,
    owner: User | None = None,
) -> Opportunity:
    """Edit the fields; the stage changes only through ``opportunity_move``. A closed
    opportunity keeps what closing needs (an amount; a loss reason when lost)."""
    if not can_change_opportunity(by, opportunity):
        raise PermissionDenied
    with transaction.atomic():
        current = _lock(opportunity, expected_version)
        errors: dict[str, list[str]] = {}
        for field in OPPORTUNITY_FIELDS:
            if field in data:
                setattr(current, field, data[field])
        if current.stage.is_lost and "loss_reason" in data:
            current.loss_reason = data["loss_reason"] or ""
        if owner is not None and owner.pk != current.owner_id:
            _check_owner(owner=owner, customer=current.customer, errors=errors)
            current.owner = owner
        _clean(current, errors)
        _check_closing(current, current.stage, errors)
        if errors:
            raise ValidationError(errors)
        current.version = F("version") + 1
        current._history_user = by
        current.save()
    current.refresh_from_db()
    return current


def opportunity_move(
    *,
    opportunity: Opportunity,
    by: User,
    to: PipelineStage,
    expected_version: int | None,
    loss_reason: str = "",
    reopen: bool = False,
) -> Opportunity:
    """Move to stage `to` under the rules in this module's docstring."""
    if not can_change_opportunity(by, opportunity):
        raise PermissionDenied
    with transaction.atomic():
        current = _lock(opportunity, expected_version)
        from_stage = current.stage
        if to.pk == from_stage.pk:
            return current
        if not to.is_active:
            raise ValidationError({"stage": _("This stage is no longer in use.")})
        if from_stage.is_closed:
            if not reopen:
                raise ValidationError(
                    {
                        "stage": _(
                            "This opportunity is closed (%(stage)s). Reopen it explicitly "
                            "to move it to another stage."
                        )
                        % {"stage": from_stage.label}
                    }
                )
            if not can_reopen_opportunity(by, current):
                raise PermissionDenied(
                    _("Only someone who may edit the customer can reopen a closed opportunity.")
                )
        errors: dict[str, list[str]] = {}
        current.loss_reason = (loss_reason or "").strip() if to.is_lost else ""
        _clean(current, errors)
        _check_closing(current, to, errors)
        if errors:
            raise ValidationError(errors)
        current.stage = to
        current.closed_at = timezone.now() if to.is_closed else None
        current.version = F("version") + 1
        current._history_user = by
        current._change_reason = f"{from_stage.label} → {to.label}"
        current.save()
    current.refresh_from_db()
    return current


def opportunity_delete(*, opportunity: Opportunity, by: User) -> None:
    """Delete an opportunity entered by mistake: only whoever may edit the customer."""
    if not can_edit_customer(by, opportunity.customer):
        raise PermissionDenied
    recyclebin_delete(obj=opportunity, by=by)
