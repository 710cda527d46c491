"""Audit writes: events, the revert of one field change, and the history purge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.audit.models import AuditAction, AuditEvent
from kehu.audit.selectors import history_entry, sources
from kehu.core.permissions import is_administrator


def audit_event_record(
    *,
    action: str,
    by: Any = None,
    target_model: str = "",
    target_id: Any = "",
    summary: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Log one operation. `summary` and `detail` carry ids and counts, never personal data."""
    return AuditEvent.objects.create(
        action=action,
        actor=by,
        target_model=target_model,
        target_id=str(target_id or ""),
        summary=summary[:300],
        detail=detail or {},
    )


def _customer_revert(obj, field: str, value, by) -> None:
    from kehu.customers.services import CUSTOMER_FIELDS, customer_update

    if field not in CUSTOMER_FIELDS or field == "status":
        raise _not_revertible(field)
    customer_update(customer=obj, by=by, data={field: value}, expected_version=obj.version)


def _contact_revert(obj, field: str, value, by) -> None:
    from kehu.customers.services import CONTACT_FIELDS, contact_update

    if field not in CONTACT_FIELDS:
        raise _not_revertible(field)
    contact_update(contact=obj, by=by, data={field: value}, expected_version=obj.version)


def _lead_revert(obj, field: str, value, by) -> None:
    from kehu.sales.services.leads import LEAD_FIELDS, lead_update

    if field not in LEAD_FIELDS:
        raise _not_revertible(field)
    lead_update(lead=obj, by=by, data={field: value}, expected_version=obj.version)


def _opportunity_revert(obj, field: str, value, by) -> None:
    from kehu.sales.services.opportunities import OPPORTUNITY_FIELDS, opportunity_update

    if field not in OPPORTUNITY_FIELDS:
        raise _not_revertible(field)
    opportunity_update(opportunity=obj, by=by, data={field: value}, expected_version=obj.version)


# A revert goes through the model's own update service, so it is validated, refused when
# stale and recorded in history like any edit. Models not listed here cannot be reverted.
REVERTERS: dict[str, Callable[..., None]] = {
    "customers.customer": _customer_revert,
    "customers.contact": _contact_revert,
    "sales.lead": _lead_revert,
    "sales.opportunity": _opportunity_revert,
}


def _not_revertible(field: str) -> ValidationError:
    return ValidationError(
        {field: _("This field cannot be reverted from history; edit the record instead.")}
    )


def audit_revert_field(*, source_key: str, history_id: int, field: str, by) -> None:
    """Set one field back to its value before the change in history entry `history_id`.
    Refused when the field changed again since (its current value is not that change's result)."""
    if not is_administrator(by):
        raise PermissionDenied
    entry = history_entry(source_key=source_key, pk=history_id)
    if entry is None:
        raise ValidationError(_("This history entry does not exist."))
    reverter = REVERTERS.get(source_key)
    change = next((c for c in entry.changes if c.field == field), None)
    if reverter is None or entry.obj.history_type != "~" or change is None:
        raise _not_revertible(field or "field")
    model = entry.source.history_of
    model_field = model._meta.get_field(field)
    current = model._default_manager.filter(pk=entry.record_id).first()
    if current is None:
        raise ValidationError(_("The record no longer exists."))
    if getattr(current, model_field.attname) != getattr(entry.obj, model_field.attname):
        raise ValidationError(
            {
                field: _(
                    "%(field)s has changed since this entry; reverting it would overwrite "
                    "the later change. Nothing was changed."
                )
                % {"field": model_field.verbose_name}
            }
        )
    previous = entry.source.model.objects.get(history_id=entry.obj.previous_history_id)
    value = getattr(previous, model_field.attname)
    if model_field.is_relation and value is not None:
        value = model_field.related_model._default_manager.get(pk=value)
    with transaction.atomic():
        reverter(current, field, value, by)
        audit_event_record(
            action=AuditAction.REVERT,
            by=by,
            target_model=source_key,
            target_id=entry.record_id,
            summary=_("%(field)s reverted to its value before history entry %(entry)s")
            % {"field": model_field.verbose_name, "entry": history_id},
            detail={"history_id": history_id, "field": field},
        )


def history_purge(*, retention_days: int | None, now: dt.datetime | None = None) -> int:
    """Delete history rows older than `retention_days` (None keeps everything, the default);
    in batches so a first run on a large table does not hold one huge transaction."""
    if retention_days is None:
        return 0
    cutoff = (now or timezone.now()) - dt.timedelta(days=retention_days)
    total = 0
    for source in sources():
        if not source.is_history:
            continue
        while True:
            batch = list(
                source.model.objects.filter(history_date__lt=cutoff).values_list(
                    "history_id", flat=True
                )[:1000]
            )
            if not batch:
                break
            source.model.objects.filter(history_id__in=batch).delete()
            total += len(batch)
    if total:
        audit_event_record(
            action=AuditAction.PURGE,
            summary=_("%(count)s history rows older than %(days)s days deleted")
            % {"count": total, "days": retention_days},
            detail={"count": total, "cutoff": cutoff.isoformat()},
        )
    return total
