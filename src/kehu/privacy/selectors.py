"""Reads of the privacy app: live consents (the one list marketing may send to), a person's
data for an export, and the request inbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from kehu.customers.models import Contact, UnmaskLog
from kehu.privacy.models import (
    Consent,
    DataSubjectRequest,
    PurposeNotice,
    RequestKind,
    RequestStatus,
)


def erased_contacts() -> QuerySet:
    """Contacts whose person was erased (by request or the retention rule)."""
    return DataSubjectRequest.objects.filter(
        kind=RequestKind.ERASE, status=RequestStatus.DONE, contact_id__isnull=False
    )


def contact_is_erased(contact: Contact) -> bool:
    return erased_contacts().filter(contact_id=contact.pk).exists()


def contacts_with_live_consent(*, purpose: str) -> QuerySet[Contact]:
    """Contacts who consented to `purpose` and have not withdrawn: marketing sends to these
    and to no one else. Erased people never appear, whatever their consent rows say."""
    live = Consent.objects.filter(contact_id=OuterRef("pk"), purpose=purpose, withdrawn_at=None)
    erased = erased_contacts().filter(contact_id=OuterRef("pk"))
    return Contact.objects.filter(Exists(live)).exclude(Exists(erased))


def active_notice(*, purpose: str, language: str | None = None) -> PurposeNotice | None:
    """The newest active notice for `purpose` (in `language` when there is one)."""
    notices = PurposeNotice.objects.filter(purpose=purpose, is_active=True).order_by("-version")
    if language:
        return notices.filter(language=language).first() or notices.first()
    return notices.first()


def contact_for_request(*, contact_id: int) -> Contact | None:
    """Data-subject requests name any person, whoever owns the customer: only the request
    handlers (core.permissions.can_handle_data_requests) reach this."""
    return Contact.objects.select_related("customer").filter(pk=contact_id).first()


def contacts_by_mobile(*, mobile: str, limit: int = 2) -> list[Contact]:
    """Contacts with this mobile number (at most `limit`), for finding a requester."""
    from kehu.customers.sensitive import mobile_index

    # Mobile numbers are encrypted at rest: found through their blind index only.
    qs = Contact.objects.filter(mobile_hash=mobile_index(mobile))
    return list(qs.select_related("customer")[:limit])


def contact_consents(*, contact: Contact) -> list[Consent]:
    return list(
        contact.consents.select_related("notice", "recorded_by", "withdrawn_by").order_by(
            "-given_at", "-id"
        )
    )


def visible_consents(*, user) -> QuerySet[Consent]:
    return Consent.objects.visible_to(user).select_related("notice").order_by("-given_at", "-id")


def visible_consent(*, user, pk: int | str) -> Consent:
    """A consent of a contact the user may see; 404 when missing or hidden."""
    try:
        return (
            Consent.objects.visible_to(user)
            .select_related("contact__customer", "notice")
            .get(pk=int(pk))
        )
    except (ValueError, TypeError, Consent.DoesNotExist) as exc:
        raise Http404 from exc


def live_purposes(*, contact_ids: list[int]) -> dict[int, list[Consent]]:
    """Live consents per contact, in one query (the customer page's summary)."""
    found: dict[int, list[Consent]] = {}
    for consent in Consent.objects.live().filter(contact_id__in=contact_ids).order_by("purpose"):
        found.setdefault(consent.contact_id, []).append(consent)
    return found


def data_requests(*, status: str = "") -> QuerySet[DataSubjectRequest]:
    qs = DataSubjectRequest.objects.select_related(
        "contact", "customer", "requested_by", "handled_by"
    )
    return qs.filter(status=status) if status else qs


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


CONTACT_EXPORT_FIELDS = (
    "id",
    "name",
    "title",
    "mobile",
    "email",
    "phone",
    "is_decision_maker",
    "remarks",
    "created_at",
    "updated_at",
)


def person_identifiers(contact: Contact) -> dict[str, set[str]]:
    """Every name, mobile, email and landline the person has had in this contact's history:
    what identifies them in free text and in leads."""
    found: dict[str, set[str]] = {"name": set(), "mobile": set(), "email": set(), "phone": set()}
    rows = [contact, *contact.history.all()]
    for row in rows:
        for key in found:
            value = getattr(row, key, "") or ""
            if value:
                found[key].add(str(value))
    return found


def _mobile_q(model, mobiles: set[str]) -> Q:
    """Rows of `model` with one of `mobiles`: by blind index where the column is encrypted."""
    from kehu.customers.sensitive import mobile_index

    if any(f.name == "mobile_hash" for f in model._meta.concrete_fields):
        return Q(mobile_hash__in=sorted(mobile_index(m) for m in mobiles))
    return Q(mobile__in=sorted(mobiles))


def person_leads(contact: Contact) -> QuerySet:
    """Leads about the same person: same mobile or email, or converted into this customer
    under the same name."""
    from kehu.sales.models import Lead

    ids = person_identifiers(contact)
    q = Q(customer_id=contact.customer_id, name__in=ids["name"]) if ids["name"] else Q(pk__in=[])
    if ids["mobile"]:
        q |= _mobile_q(Lead, ids["mobile"])
    if ids["email"]:
        q |= Q(email__in=ids["email"])
    return Lead.objects.filter(q)


def person_interactions(contact: Contact) -> QuerySet:
    """The customer's interactions whose text mentions the person (name, mobile, email)."""
    from kehu.interactions.models import Interaction

    ids = person_identifiers(contact)
    q = Q(pk__in=[])
    for value in ids["name"] | ids["mobile"] | ids["email"]:
        q |= Q(topic__contains=value) | Q(summary__contains=value) | Q(next_action__contains=value)
    return Interaction.objects.filter(q, customer_id=contact.customer_id)


def person_data(*, contact: Contact) -> dict[str, Any]:
    """Everything held about the person behind `contact`, machine-readable (PIPL art. 45:
    access and a copy; art. 45(3): portability)."""
    customer = contact.customer
    history = contact.history.select_related("history_user").order_by("history_date")
    return {
        "format": "kehu.person-data/1",
        "generated_at": timezone.localtime().isoformat(),
        "contact": {name: _iso(getattr(contact, name)) for name in CONTACT_EXPORT_FIELDS},
        "customer": {"id": customer.pk, "code": customer.code, "name": customer.name},
        "consents": [
            {
                "purpose": c.purpose,
                "notice_version": c.notice.version,
                "notice_language": c.notice.language,
                "notice_text": c.notice.text,
                "channel": c.channel,
                "given_at": _iso(c.given_at),
                "evidence": c.evidence,
                "recorded_at": _iso(c.recorded_at),
                "withdrawn_at": _iso(c.withdrawn_at),
                "withdrawal_channel": c.withdrawal_channel,
            }
            for c in contact_consents(contact=contact)
        ],
        "interactions": [
            {
                "code": i.code,
                "occurred_at": _iso(i.occurred_at),
                "method": i.method,
                "topic": i.topic,
                "summary": i.summary,
                "feedback": i.feedback,
                "next_action": i.next_action,
            }
            for i in person_interactions(contact).order_by("occurred_at", "id")
        ],
        "history": [
            {
                "at": _iso(h.history_date),
                "type": {"+": "create", "~": "update", "-": "delete"}[h.history_type],
                "by": h.history_user.username if h.history_user else None,
                **{
                    name: _iso(getattr(h, name, None))
                    for name in CONTACT_EXPORT_FIELDS
                    if name not in ("created_at", "updated_at") and hasattr(h, name)
                },
            }
            for h in history
        ],
        "unmask_log": [
            {"at": _iso(u.at), "user": u.user.username, "field": u.field}
            for u in UnmaskLog.objects.filter(contact_id=contact.pk)
            .select_related("user")
            .order_by("at")
        ],
        "leads": [
            {
                "id": lead.pk,
                "name": lead.name,
                "company": lead.company,
                "title": lead.title,
                "mobile": lead.mobile,
                "email": lead.email,
                "source": lead.source,
                "status": lead.status,
                "notes": lead.notes,
                "created_at": _iso(lead.created_at),
            }
            for lead in person_leads(contact).order_by("id")
        ],
    }
