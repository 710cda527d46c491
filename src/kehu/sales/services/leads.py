"""Lead (销售线索) writes: capture, edit, status, deletion and conversion into a customer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.accounts.selectors import assignable_users
from kehu.core.permissions import can_change_lead, can_edit_customer, can_unmask_lead
from kehu.customers import services as customer_services
from kehu.customers.models import Contact, Customer, CustomerType, Status, UnmaskLog
from kehu.customers.sensitive import LEAD_MOBILE, mobile_index
from kehu.customers.services import StaleEditError
from kehu.customers.validators import normalize_mobile
from kehu.dataquality.entry_check import ProbableDuplicate, needs_confirmation, probable_duplicates
from kehu.recyclebin.services import recyclebin_delete
from kehu.sales.models import Lead, LeadStatus, Opportunity, WebToLeadForm

LEAD_FIELDS = (
    "name",
    "company",
    "title",
    "mobile",
    "email",
    "source",
    "region",
    "industry",
    "notes",
)
TEXT_FIELDS = ("name", "company", "title", "email", "notes")
PRESET_FIELDS = ("region", "industry")
# Control characters other than tab and line breaks: never typed by a person; a sign of a
# forged post (NUL bytes also break PostgreSQL text columns).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Statuses a user sets by hand; "converted" is reached only through lead_convert.
MANUAL_STATUSES = (
    LeadStatus.NEW,
    LeadStatus.CONTACTED,
    LeadStatus.QUALIFIED,
    LeadStatus.DISQUALIFIED,
)


class DuplicatesNeedConfirmation(Exception):
    """Converting would create a customer that probably exists already (撞单): the user must
    look at the candidates and confirm, or link the existing customer instead."""

    def __init__(self, duplicates: list[ProbableDuplicate]):
        self.duplicates = duplicates
        super().__init__(
            _(
                "This company probably exists already as a customer. Check the records "
                "listed: link the lead to one of them, or confirm to create a new customer."
            )
        )


@dataclass
class Conversion:
    lead: Lead
    customer: Customer
    contact: Contact | None
    opportunity: Opportunity | None


def _check_owner(*, by: User | None, owner: User, errors: dict[str, list[str]]) -> None:
    if not owner.is_active:
        errors.setdefault("owner", []).append(_("The owner must be an active user."))
    elif by is not None and not assignable_users(by).filter(pk=owner.pk).exists():
        errors.setdefault("owner", []).append(
            _("You may only assign leads to users inside your own data scope.")
        )


def _clean_lead(lead: Lead, errors: dict[str, list[str]]) -> None:
    """Text is stored as the plain text it was typed as (pages escape it when they show it);
    only characters no person types are refused."""
    for field in TEXT_FIELDS:
        value = (getattr(lead, field) or "").strip()
        setattr(lead, field, value)
        if CONTROL_CHARACTERS.search(value):
            errors.setdefault(field, []).append(_("This field contains invalid characters."))
    lead.mobile = normalize_mobile(lead.mobile)
    try:
        lead.full_clean(exclude=["owner", "customer", *(f for f in TEXT_FIELDS if f in errors)])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if not lead.mobile and not lead.email and "mobile" not in errors and "email" not in errors:
        errors.setdefault("mobile", []).append(
            _("Give a mobile number or an email address so that the lead can be reached.")
        )
    if lead.industry is not None and lead.industry.children.filter(is_active=True).exists():
        errors.setdefault("industry", []).append(
            _("Choose a specific industry within %(category)s.") % {"category": lead.industry.label}
        )


def lead_create(
    *,
    by: User | None,
    data: dict[str, Any],
    owner: User | None = None,
    web_form: WebToLeadForm | None = None,
) -> Lead:
    """Capture a lead. `by` is None for the public web-to-lead form, whose owner it gets.
    Without an owner chosen, the lead assignment rules (kehu.pool) may pick one."""
    owner_chosen = owner is not None
    owner = owner or by or (web_form.owner if web_form else None)
    if owner is None:
        raise ValidationError({"owner": _("This field is required.")})
    errors: dict[str, list[str]] = {}
    lead = Lead(
        owner=owner,
        created_by=by,
        web_form=web_form,
        **{k: data[k] for k in LEAD_FIELDS if k in data and data[k] is not None},
    )
    _check_owner(by=by, owner=owner, errors=errors)
    _clean_lead(lead, errors)
    if errors:
        raise ValidationError(errors)
    lead.department_id = owner.department_id
    lead._history_user = by
    lead.save()
    if not owner_chosen:
        from kehu.pool.services.assignment import assignment_apply_to_lead

        lead = assignment_apply_to_lead(lead=lead)
    return lead


def _lock(lead: Lead, expected_version: int | None) -> Lead:
    current = Lead.objects.select_for_update().get(pk=lead.pk)
    if expected_version is None or int(expected_version) != current.version:
        raise StaleEditError(current, since=expected_version)
    return current


def _refuse_closed(lead: Lead) -> None:
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError(
            {"status": _("This lead was converted; change the customer instead.")}
        )


def lead_update(
    *,
    lead: Lead,
    by: User,
    data: dict[str, Any],
    expected_version: int | None,
    owner: User | None = None,
) -> Lead:
    """Edit a lead's fields (not its status); refused if it changed since it was read."""
    if not can_change_lead(by, lead):
        raise PermissionDenied
    with transaction.atomic():
        current = _lock(lead, expected_version)
        _refuse_closed(current)
        errors: dict[str, list[str]] = {}
        for field in LEAD_FIELDS:
            if field in data:
                value = data[field]
                # Text fields store "" for empty; the preset foreign keys store None.
                if value is None and field not in PRESET_FIELDS:
                    value = ""
                setattr(current, field, value)
        if owner is not None and owner.pk != current.owner_id:
            _check_owner(by=by, owner=owner, errors=errors)
            current.owner = owner
            current.department_id = owner.department_id
        _clean_lead(current, errors)
        if errors:
            raise ValidationError(errors)
        current.version = F("version") + 1
        current._history_user = by
        current.save()
    current.refresh_from_db()
    return current


def lead_change_status(*, lead: Lead, by: User, to: str, reason: str = "") -> Lead:
    """Follow-up status by hand: disqualifying needs a reason; a converted lead stays so."""
    if not can_change_lead(by, lead):
        raise PermissionDenied
    if to not in MANUAL_STATUSES:
        raise ValidationError(
            {"status": _("A lead becomes converted only by converting it to a customer.")}
        )
    reason = (reason or "").strip()
    if to == LeadStatus.DISQUALIFIED and not reason:
        raise ValidationError(
            {"disqualify_reason": _("Give the reason why the lead is disqualified.")}
        )
    with transaction.atomic():
        current = Lead.objects.select_for_update().get(pk=lead.pk)
        _refuse_closed(current)
        current.status = to
        current.disqualify_reason = reason[:500] if to == LeadStatus.DISQUALIFIED else ""
        current.version = F("version") + 1
        current._history_user = by
        current.save()
    current.refresh_from_db()
    return current


def lead_delete(*, lead: Lead, by: User) -> None:
    """Delete a lead entered by mistake; a converted lead is part of the customer's story."""
    if not can_change_lead(by, lead):
        raise PermissionDenied
    _refuse_closed(lead)
    recyclebin_delete(obj=lead, by=by)


def lead_unmask(*, lead: Lead, by: User, ip_address: str | None) -> str:
    """Reveal a lead's mobile number (masked everywhere else); logged like a contact's."""
    if not can_unmask_lead(by, lead):
        raise PermissionDenied
    if lead.mobile:
        UnmaskLog.objects.create(user=by, lead=lead, field=LEAD_MOBILE, ip_address=ip_address)
    return lead.mobile


def lead_customer_data(lead: Lead, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The new customer's fields taken from the lead; `overrides` (scale, name, …) win."""
    data: dict[str, Any] = {
        "customer_type": CustomerType.ENTERPRISE if lead.company else CustomerType.INDIVIDUAL,
        "name": lead.company or lead.name,
        "industry": lead.industry,
        "region": lead.region,
        "source": lead.source,
        "first_contact_date": timezone.localdate(lead.created_at),
        "status": Status.PROSPECT,
        "remarks": lead.notes,
    }
    data.update({k: v for k, v in (overrides or {}).items() if v not in (None, "")})
    return data


def lead_contact_data(lead: Lead) -> dict[str, Any]:
    return {"name": lead.name, "title": lead.title, "mobile": lead.mobile, "email": lead.email}


def lead_duplicates(*, lead: Lead, by: User, customer_data: dict[str, Any]) -> list:
    """The entry duplicate check (kehu.dataquality.entry_check) on the customer to be made."""
    return probable_duplicates(
        viewer=by,
        name=customer_data.get("name") or "",
        credit_code=customer_data.get("credit_code") or "",
        contact_name=lead.name,
        mobile=lead.mobile,
    )


def _link_contact(*, customer: Customer, lead: Lead, by: User) -> Contact | None:
    """Add the lead's person to an existing customer, unless a contact has their mobile."""
    if not can_edit_customer(by, customer):
        raise PermissionDenied
    if lead.mobile and customer.contacts.filter(mobile_hash=mobile_index(lead.mobile)).exists():
        return None
    return customer_services.contact_create(customer=customer, by=by, data=lead_contact_data(lead))


def lead_convert(
    *,
    lead: Lead,
    by: User,
    customer: Customer | None = None,
    customer_data: dict[str, Any] | None = None,
    confirmed_duplicates: set[str] | frozenset[str] = frozenset(),
    opportunity: dict[str, Any] | None = None,
) -> Conversion:
    """Turn a lead into a customer (with the lead's person as key decision maker), or link it
    to an existing `customer` (adding the person as a contact); optionally open an
    opportunity. All or nothing.

    A new customer passes the entry duplicate check first: probable duplicates raise
    DuplicatesNeedConfirmation until their codes are in `confirmed_duplicates`.
    """
    from kehu.sales.services.opportunities import opportunity_create

    if not can_change_lead(by, lead):
        raise PermissionDenied
    if lead.status == LeadStatus.DISQUALIFIED:
        raise ValidationError(
            {"status": _("A disqualified lead cannot be converted; requalify it first.")}
        )
    _refuse_closed(lead)
    data = None
    if customer is None:
        data = lead_customer_data(lead, customer_data)
        duplicates = lead_duplicates(lead=lead, by=by, customer_data=data)
        if needs_confirmation(duplicates, set(confirmed_duplicates)):
            raise DuplicatesNeedConfirmation(duplicates)
    with transaction.atomic():
        current = Lead.objects.select_for_update().get(pk=lead.pk)
        _refuse_closed(current)
        if customer is None:
            customer = customer_services.customer_create(
                by=by, data=data, decision_maker=lead_contact_data(current), owner=current.owner
            )
            contact = customer.contacts.get()
        else:
            contact = _link_contact(customer=customer, lead=current, by=by)
        created_opportunity = None
        if opportunity is not None:
            created_opportunity = opportunity_create(
                by=by,
                customer=customer,
                data=opportunity,
                stage=opportunity.get("stage"),
                owner=current.owner,
                lead=current,
            )
        current.status = LeadStatus.CONVERTED
        current.customer = customer
        current.converted_at = timezone.now()
        current.converted_by = by
        current.disqualify_reason = ""
        current.version = F("version") + 1
        current._history_user = by
        current.save()
    current.refresh_from_db()
    return Conversion(
        lead=current, customer=customer, contact=contact, opportunity=created_opportunity
    )
