"""Writes of the privacy app: consents, data-subject requests (export, correct, erase) and the
retention rule. Every operation is logged in the audit feed (history rows and audit events,
which hold ids and counts, never the person's data)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Replace
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.audit.models import AuditAction
from kehu.audit.services import audit_event_record
from kehu.core.permissions import can_handle_data_requests, can_record_consent
from kehu.customers.models import Contact, Customer, Status, StatusChange, StatusChangeState
from kehu.privacy import selectors
from kehu.privacy.models import (
    Consent,
    ConsentChannel,
    DataSubjectRequest,
    Purpose,
    RequestKind,
    RequestOrigin,
    RequestStatus,
)

REDACTED = "[已删除]"  # stands in for an erased person's name or number inside free text


# --- consent --------------------------------------------------------------------------------
def consent_record(
    *,
    contact: Contact,
    purpose: str,
    channel: str,
    by: User,
    given_at: dt.datetime | None = None,
    evidence: str = "",
) -> Consent:
    """Record that the person consented to `purpose` under the active notice; a live consent
    given under an older notice version is withdrawn and replaced."""
    if not can_record_consent(by, contact.customer):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if purpose not in Purpose.values:
        errors["purpose"] = [_("Choose a purpose from the list.")]
    if channel not in ConsentChannel.values:
        errors["channel"] = [_("Choose how the consent was given.")]
    given_at = given_at or timezone.now()
    if given_at > timezone.now() + dt.timedelta(minutes=5):
        errors["given_at"] = [_("The time of consent cannot be in the future.")]
    if selectors.contact_is_erased(contact):
        errors["contact"] = [_("This person's data was erased; no consent can be recorded.")]
    notice = selectors.active_notice(purpose=purpose, language=settings.LANGUAGE_CODE)
    if notice is None and "purpose" not in errors:
        errors["purpose"] = [_("There is no active notice for this purpose yet.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        live = Consent.objects.select_for_update().filter(
            contact=contact, purpose=purpose, withdrawn_at=None
        )
        for old in live:
            if old.notice_id == notice.pk:
                raise ValidationError(
                    {"purpose": _("The contact already has a live consent for this purpose.")}
                )
            _withdraw(old, channel=channel, by=by, at=given_at)
        consent = Consent(
            contact=contact,
            notice=notice,
            purpose=purpose,
            channel=channel,
            given_at=given_at,
            evidence=(evidence or "").strip(),
            recorded_by=by,
        )
        consent.full_clean(validate_constraints=False)
        consent._history_user = by
        consent.save()
    return consent


def _withdraw(consent: Consent, *, channel: str, by: User | None, at: dt.datetime) -> None:
    consent.withdrawn_at = at
    consent.withdrawal_channel = channel
    consent.withdrawn_by = by
    consent._history_user = by
    consent.save()


def consent_withdraw(
    *, consent: Consent, channel: str, by: User, at: dt.datetime | None = None
) -> Consent:
    """The person withdrew consent (PIPL art. 15: as easy as giving it); the row is kept."""
    if not can_record_consent(by, consent.contact.customer):
        raise PermissionDenied
    if channel not in ConsentChannel.values:
        raise ValidationError({"channel": _("Choose how the consent was withdrawn.")})
    with transaction.atomic():
        current = Consent.objects.select_for_update().get(pk=consent.pk)
        if current.withdrawn_at is not None:
            raise ValidationError(_("This consent was already withdrawn."))
        _withdraw(current, channel=channel, by=by, at=at or timezone.now())
    return current


# --- data-subject requests ------------------------------------------------------------------
def _check_handler(by: User | None) -> None:
    if by is not None and not can_handle_data_requests(by):
        raise PermissionDenied


def data_request_create(
    *, contact: Contact, kind: str, by: User, note: str = ""
) -> DataSubjectRequest:
    _check_handler(by)
    if kind not in RequestKind.values:
        raise ValidationError({"kind": _("Choose what the person asks for.")})
    if selectors.contact_is_erased(contact):
        raise ValidationError({"contact": _("This person's data was already erased.")})
    request = DataSubjectRequest(
        contact=contact,
        customer=contact.customer,
        kind=kind,
        note=(note or "").strip(),
        requested_by=by,
    )
    request.full_clean()
    with transaction.atomic():
        request._history_user = by
        request.save()
        audit_event_record(
            action=AuditAction.PRIVACY,
            by=by,
            target_model="privacy.datasubjectrequest",
            target_id=request.pk,
            summary=_("Request %(kind)s recorded for contact #%(contact)s")
            % {"kind": kind, "contact": contact.pk},
            detail={"kind": kind, "contact_id": contact.pk},
        )
    return request


def _open_request(request: DataSubjectRequest, kind: str) -> DataSubjectRequest:
    current = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
    if current.kind != kind:
        raise ValidationError(_("This request is not of that kind."))
    if current.status != RequestStatus.OPEN:
        raise ValidationError(_("This request was already handled."))
    if current.contact_id is None:
        raise ValidationError({"contact": _("The contact of this request no longer exists.")})
    return current


def _finish(request: DataSubjectRequest, *, by: User | None, result: dict[str, Any]) -> None:
    request.status = RequestStatus.DONE
    request.handled_by = by
    request.handled_at = timezone.now()
    request.result = result
    request._history_user = by
    request.save()


def data_request_export(*, request: DataSubjectRequest, by: User) -> dict[str, Any]:
    """Everything held about the person, as JSON-ready data; the request is then done."""
    _check_handler(by)
    with transaction.atomic():
        current = _open_request(request, RequestKind.EXPORT)
        data = selectors.person_data(contact=current.contact)
        counts = {k: len(v) for k, v in data.items() if isinstance(v, list)}
        _finish(current, by=by, result={"counts": counts})
        audit_event_record(
            action=AuditAction.EXPORT,
            by=by,
            target_model="privacy.datasubjectrequest",
            target_id=current.pk,
            summary=_("Personal data of contact #%(contact)s exported for the person")
            % {"contact": current.contact_id},
            detail={"contact_id": current.contact_id, "counts": counts},
        )
    return data


def data_request_correct(
    *, request: DataSubjectRequest, by: User, data: dict[str, Any], expected_version: int | None
) -> Contact:
    """Correct the person's contact fields through the contact service (validated, refused
    when stale, recorded in history)."""
    from kehu.customers.services import CONTACT_FIELDS, contact_update

    _check_handler(by)
    with transaction.atomic():
        current = _open_request(request, RequestKind.CORRECT)
        changes = {k: v for k, v in data.items() if k in CONTACT_FIELDS}
        contact = contact_update(
            contact=current.contact, by=by, data=changes, expected_version=expected_version
        )
        _finish(current, by=by, result={"fields": sorted(changes)})
        audit_event_record(
            action=AuditAction.PRIVACY,
            by=by,
            target_model="privacy.datasubjectrequest",
            target_id=current.pk,
            summary=_("Contact #%(contact)s corrected at the person's request")
            % {"contact": contact.pk},
            detail={"contact_id": contact.pk, "fields": sorted(changes)},
        )
    return contact


def data_request_erase(*, request: DataSubjectRequest, by: User) -> dict[str, int]:
    _check_handler(by)
    with transaction.atomic():
        current = _open_request(request, RequestKind.ERASE)
        counts = person_erase(contact=current.contact, by=by)
        _finish(current, by=by, result={"counts": counts})
        _log_erasure(current, by=by, counts=counts)
    return counts


def data_request_reject(*, request: DataSubjectRequest, by: User, reason: str) -> None:
    _check_handler(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the request is rejected.")})
    with transaction.atomic():
        current = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
        if current.status != RequestStatus.OPEN:
            raise ValidationError(_("This request was already handled."))
        current.status = RequestStatus.REJECTED
        current.handled_by = by
        current.handled_at = timezone.now()
        current.result = {"reason": reason[:500]}
        current._history_user = by
        current.save()
        audit_event_record(
            action=AuditAction.PRIVACY,
            by=by,
            target_model="privacy.datasubjectrequest",
            target_id=current.pk,
            summary=_("Request rejected"),
        )


def _log_erasure(request: DataSubjectRequest, *, by: User | None, counts: dict[str, int]) -> None:
    audit_event_record(
        action=AuditAction.PRIVACY,
        by=by,
        target_model="customers.contact",
        target_id=request.contact_id,
        summary=_("Personal data of contact #%(contact)s erased (%(origin)s)")
        % {"contact": request.contact_id, "origin": request.get_origin_display()},
        detail={"request_id": request.pk, "counts": counts},
    )


# --- erasure --------------------------------------------------------------------------------
def _blank_values(model: type[models.Model], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """Empty values for every text column of `model` except `keep`: personal fields added
    later (encrypted copies, search indexes, last four digits) are covered without a list."""
    values: dict[str, Any] = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or f.is_relation or f.name in keep:
            continue
        if f.name.startswith("history_"):
            continue
        if isinstance(f, models.CharField | models.TextField):
            values[f.attname] = None if f.null else ""
        elif isinstance(f, models.BinaryField):
            values[f.attname] = None if f.null else b""
    return values


def _redact(queryset, fields: tuple[str, ...], needles: set[str]) -> int:
    """Replace every needle inside the text `fields` of `queryset`'s rows, in the database."""
    touched = 0
    for needle in sorted(needles, key=len, reverse=True):
        for field in fields:
            touched += queryset.filter(**{f"{field}__contains": needle}).update(
                **{field: Replace(field, Value(needle), Value(REDACTED))}
            )
    return touched


def _scrub_json(value: Any, needles: set[str]) -> tuple[Any, bool]:
    """`value` (JSON data) with every needle inside its strings replaced."""
    text = json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
    hits = [n for n in sorted(needles, key=len, reverse=True) if n in text]
    for needle in hits:
        text = text.replace(json.dumps(needle, ensure_ascii=False)[1:-1], REDACTED)
    return (json.loads(text), True) if hits else (value, False)


def _redact_encrypted_json(queryset, fields: tuple[str, ...], needles: set[str]) -> int:
    """Encrypted JSON (import and merge snapshots) cannot be searched in SQL: decrypt, replace,
    save. The querysets are narrowed to the person's customer first."""
    touched = 0
    for row in queryset.only("pk", *fields):
        changed = []
        for field in fields:
            value, hit = _scrub_json(getattr(row, field), needles)
            if hit:
                setattr(row, field, value)
                changed.append(field)
        if changed:
            row.save(update_fields=changed)
            touched += 1
    return touched


def _erased_name(contact_id: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Erased contact #%(id)s") % {"id": contact_id}


def _recycle_bin_erase(*, contact: Contact) -> int:
    """The recycle bin keeps snapshots of deleted records for 60 days: the person leaves
    those too (kehu.recyclebin removes the contact's rows from every snapshot)."""
    try:
        from kehu.recyclebin.services import recyclebin_erase_person
    except ImportError:  # the recycle bin is an optional app
        return 0
    return recyclebin_erase_person(contact_ids=[contact.pk])


def person_erase(*, contact: Contact, by: User | None) -> dict[str, int]:
    """Anonymise the person behind `contact` everywhere (PIPL art. 47) while keeping the
    business records and their totals: the contact row stays (as "Erased contact #id") so
    customers, interactions and amounts keep their links; every history row of the contact
    is blanked too, the person's names and numbers are cut out of the customer's free text,
    and leads about the same person lose their personal fields."""
    from kehu.dataquality.models import CustomerMerge, ImportRecord
    from kehu.interactions.models import Interaction, Notification, Task
    from kehu.sales.models import Lead

    identifiers = selectors.person_identifiers(contact)
    needles = {v for v in set().union(*identifiers.values()) if len(v) >= 2}
    placeholder = _erased_name(contact.pk)
    counts: dict[str, int] = {}
    with transaction.atomic():
        leads = list(selectors.person_leads(contact).values_list("pk", flat=True))
        # 1. The contact and all of its history.
        blank = _blank_values(Contact, keep=("name",))
        Contact.objects.filter(pk=contact.pk).update(
            **blank, name=placeholder, version=F("version") + 1, updated_at=timezone.now()
        )
        history_blank = _blank_values(Contact.history.model, keep=("name",))
        counts["contact_history"] = Contact.history.filter(id=contact.pk).update(
            **history_blank, name=placeholder, history_change_reason=None
        )
        # 2. Free text of the customer's records that may name the person.
        customer_id = contact.customer_id
        # The customer's rows, and the history of customers merged into it (which lives on
        # under the merged-away ids).
        merges = CustomerMerge.objects.filter(keep_id=customer_id)
        ids = {
            customer_id,
            *(int(i) for d in merges.values_list("dropped_ids", flat=True) for i in d),
        }
        text_sources = [
            (
                Interaction.objects.filter(customer_id=customer_id),
                ("topic", "summary", "next_action"),
            ),
            (
                Interaction.history.filter(customer_id__in=ids),
                ("topic", "summary", "next_action"),
            ),
            (Task.objects.filter(customer_id=customer_id), ("title",)),
            (Task.history.filter(customer_id__in=ids), ("title",)),
            (Customer.objects.filter(pk=customer_id), ("remarks", "street")),
            (Customer.history.filter(id__in=ids), ("remarks", "street")),
            (StatusChange.objects.filter(customer_id=customer_id), ("reason", "decision_note")),
            (Contact.objects.filter(customer_id=customer_id), ("remarks",)),
            (Contact.history.filter(customer_id__in=ids), ("remarks",)),
            (Consent.objects.filter(contact_id=contact.pk), ("evidence",)),
            (Consent.history.filter(contact_id=contact.pk), ("evidence",)),
            (DataSubjectRequest.objects.filter(contact_id=contact.pk), ("note",)),
            (DataSubjectRequest.history.filter(contact_id=contact.pk), ("note",)),
        ]
        counts["text_redactions"] = sum(_redact(qs, f, needles) for qs, f in text_sources)
        # Snapshots kept for rolling back an import or undoing a merge (encrypted JSON).
        counts["snapshots"] = _redact_encrypted_json(
            ImportRecord.objects.filter(customer_id__in=ids), ("before",), needles
        ) + _redact_encrypted_json(merges, ("snapshot",), needles)
        # Notifications may quote a task title that named the person.
        counts["notifications"] = _redact(Notification.objects.all(), ("title", "body"), needles)
        # 3. Consents: kept as facts (purpose, times), evidence notes blanked, live ones ended.
        Consent.objects.filter(contact_id=contact.pk).update(evidence="")
        Consent.history.filter(contact_id=contact.pk).update(evidence="")
        counts["consents_withdrawn"] = Consent.objects.filter(
            contact_id=contact.pk, withdrawn_at=None
        ).update(withdrawn_at=timezone.now(), withdrawal_channel=ConsentChannel.SELF_SERVICE)
        # 4. Leads about the same person: personal fields blanked, the rest kept.
        lead_blank = {"name": placeholder, "title": "", "mobile": "", "email": "", "notes": ""}
        # update() skips pre_save: the mobile's blind indexes are blanked with it.
        counts["leads"] = Lead.objects.filter(pk__in=leads).update(
            **lead_blank, mobile_hash="", mobile_last4_hash=""
        )
        Lead.history.filter(id__in=leads).update(**lead_blank, history_change_reason=None)
        # 5. Snapshots in the recycle bin.
        counts["recycle_bin"] = _recycle_bin_erase(contact=contact)
    return counts


# --- retention ------------------------------------------------------------------------------
def _lost_before(cutoff: dt.datetime):
    """Customers lost (流失客户) since before `cutoff`: the approved change to lost dates it;
    customers set lost without one (imports) are dated by their history."""
    from django.db.models import OuterRef, Subquery

    decided = (
        StatusChange.objects.filter(
            customer_id=OuterRef("pk"),
            to_status=Status.LOST,
            state__in=(StatusChangeState.APPROVED, StatusChangeState.APPLIED),
        )
        .annotate(at=Coalesce("decided_at", "created_at"))
        .order_by("-at")
        .values("at")[:1]
    )
    # The first "lost" row after the last row with another status.
    not_lost = (
        Customer.history.filter(id=OuterRef(OuterRef("pk")))
        .exclude(status=Status.LOST)
        .order_by("-history_date")
        .values("history_date")[:1]
    )
    epoch = Value(dt.datetime(1970, 1, 1, tzinfo=dt.UTC), output_field=models.DateTimeField())
    history_lost = (
        Customer.history.filter(id=OuterRef("pk"), status=Status.LOST)
        .filter(history_date__gt=Coalesce(Subquery(not_lost), epoch))
        .order_by("history_date")
        .values("history_date")[:1]
    )
    return (
        Customer.objects.filter(status=Status.LOST)
        .annotate(lost_since=Coalesce(Subquery(decided), Subquery(history_lost)))
        .filter(lost_since__lt=cutoff)
    )


def retention_anonymise_lost(
    *, years: int | None, now: dt.datetime | None = None, batch_size: int = 200
) -> int:
    """Erase the contacts of customers lost more than `years` years ago (PIPL art. 19: keep
    personal data no longer than the purpose needs). Idempotent: erased contacts are skipped,
    so a rerun or a doubled schedule does nothing more. Returns how many were erased."""
    if not years:
        return 0
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=365 * years + years // 4)
    customers = _lost_before(cutoff).values("pk")
    erased = selectors.erased_contacts().values("contact_id")
    total = 0
    while True:
        contacts = list(
            Contact.objects.filter(customer_id__in=customers)
            .exclude(pk__in=erased)
            .select_related("customer")
            .order_by("pk")[:batch_size]
        )
        if not contacts:
            break
        for contact in contacts:
            with transaction.atomic():
                request = DataSubjectRequest.objects.create(
                    contact=contact,
                    customer=contact.customer,
                    kind=RequestKind.ERASE,
                    origin=RequestOrigin.RETENTION,
                    note=_("Customer lost for more than %(years)s years") % {"years": years},
                )
                counts = person_erase(contact=contact, by=None)
                _finish(request, by=None, result={"counts": counts})
                _log_erasure(request, by=None, counts=counts)
            total += 1
    if total:
        audit_event_record(
            action=AuditAction.PRIVACY,
            summary=_(
                "Retention rule: %(count)s contacts of customers lost over %(years)s years "
                "ago anonymised"
            )
            % {"count": total, "years": years},
            detail={"count": total, "cutoff": cutoff.isoformat()},
        )
    return total
