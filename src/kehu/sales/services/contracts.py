"""Contract (合同) and payment (回款) writes, and the daily contract checks.

Rules, applied to the form, the API, the importer and the scheduler alike:

1. A contract ends on or after the day it starts; its amount is not negative.
2. The planned instalments of a contract add up to at most the contract amount, and so do the
   amounts received; lowering the contract amount below either is refused.
3. A terminated or renewed contract is closed: it is not edited, renewed again or given new
   instalments (money still arriving on it can be recorded).
4. Renewing creates a new contract linked to the old one (``renewal_of``) and marks the old
   one renewed, in one transaction.
5. Every edit names the version it was based on; a stale one is refused (StaleEditError).
6. Deleting a contract, an instalment or an attachment moves it (with what its delete takes
   along) to the recycle bin, from which it can be restored.

A refusal raises ValidationError (naming the field) or PermissionDenied; nothing is written.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.codes import next_serial
from kehu.core.permissions import can_change_contract, can_create_contract, can_edit_customer
from kehu.customers.models import Customer
from kehu.customers.services import StaleEditError
from kehu.recyclebin.services import recyclebin_delete
from kehu.sales.models import (
    RUNNING_CONTRACT_STATUSES,
    Contract,
    ContractAttachment,
    ContractStatus,
    Opportunity,
    Payment,
)
from kehu.sales.services.leads import CONTROL_CHARACTERS
from kehu.sales.services.opportunities import _check_owner

logger = logging.getLogger(__name__)

CONTRACT_FIELDS = (
    "number",
    "title",
    "amount",
    "currency",
    "signed_on",
    "starts_on",
    "ends_on",
    "notes",
)
PAYMENT_FIELDS = ("planned_on", "planned_amount", "received_on", "received_amount", "notes")
# Statuses a user picks when entering or editing a contract; the others are reached by
# expiry, renewal and termination.
ENTRY_STATUSES = (ContractStatus.DRAFT, ContractStatus.ACTIVE)
CLOSED_STATUSES = (ContractStatus.TERMINATED, ContractStatus.RENEWED)
ATTACHMENT_SUFFIXES = (
    ".pdf",
    ".jpg",
    ".jpeg",
    ".png",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".ofd",
    ".zip",
)
ZERO = Decimal(0)


def contract_new_number() -> str:
    """HT + yyyymm + 5-digit serial per month (HT20261100001); serials never reused."""
    prefix = f"HT{timezone.localdate():%Y%m}"
    return f"{prefix}{next_serial(prefix):05d}"


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _payment_totals(contract: Contract, *, excluding: int | None = None) -> tuple[Decimal, Decimal]:
    payments = Payment.objects.filter(contract_id=contract.pk)
    if excluding is not None:
        payments = payments.exclude(pk=excluding)
    totals = payments.aggregate(planned=Sum("planned_amount"), received=Sum("received_amount"))
    return totals["planned"] or ZERO, totals["received"] or ZERO


def _clean_contract(contract: Contract, errors: dict[str, list[str]]) -> None:
    contract.number = (contract.number or "").strip().upper()
    contract.title = (contract.title or "").strip()
    contract.notes = (contract.notes or "").strip()
    contract.termination_reason = (contract.termination_reason or "").strip()
    for field in ("number", "title", "notes"):
        if CONTROL_CHARACTERS.search(getattr(contract, field)):
            _add(errors, field, _("This field contains invalid characters."))
    exclude = ["customer", "owner", "opportunity", "renewal_of", "department", *errors]
    if not contract.number:
        exclude.append("number")  # given when saving
    try:
        # The constraints are checked below, with messages that name the field.
        contract.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if (
        contract.starts_on
        and contract.ends_on
        and "ends_on" not in errors
        and contract.ends_on < contract.starts_on
    ):
        _add(
            errors,
            "ends_on",
            _("The contract cannot end (%(end)s) before it starts (%(start)s).")
            % {"end": contract.ends_on, "start": contract.starts_on},
        )
    if contract.opportunity_id and contract.opportunity.customer_id != contract.customer_id:
        _add(errors, "opportunity", _("The opportunity belongs to another customer."))


def _check_amount_covers_payments(contract: Contract, errors: dict[str, list[str]]) -> None:
    if contract.pk is None or contract.amount is None or "amount" in errors:
        return
    planned, received = _payment_totals(contract)
    if contract.amount < max(planned, received):
        _add(
            errors,
            "amount",
            _(
                "The contract amount cannot be less than the payments already planned "
                "(%(planned)s) or received (%(received)s)."
            )
            % {"planned": planned, "received": received},
        )


def _set_owner(contract: Contract, owner: User, errors: dict[str, list[str]]) -> None:
    _check_owner(owner=owner, customer=contract.customer, errors=errors)
    contract.owner = owner
    contract.department_id = owner.department_id


def _refuse_closed(contract: Contract) -> None:
    if contract.status in CLOSED_STATUSES:
        raise ValidationError(
            {
                "status": _("This contract is %(status)s and can no longer be changed.")
                % {"status": contract.get_status_display()}
            }
        )


def _lock(contract: Contract, expected_version: int | None) -> Contract:
    current = Contract.objects.select_for_update().get(pk=contract.pk)
    if expected_version is None or int(expected_version) != current.version:
        raise StaleEditError(current, since=expected_version)
    return current


def _save(contract: Contract, by: User | None, reason: str = "") -> None:
    if contract.pk is not None:
        contract.version = F("version") + 1
    contract._history_user = by
    if reason:
        contract._change_reason = reason
    contract.save()


def _entry_status(data: dict[str, Any], default: str, errors: dict[str, list[str]]) -> str:
    status = data.get("status") or default
    if status not in ENTRY_STATUSES:
        _add(
            errors,
            "status",
            _("A contract becomes expired, renewed or terminated only through those actions."),
        )
    return status


def contract_create(
    *,
    by: User,
    customer: Customer,
    data: dict[str, Any],
    owner: User | None = None,
    opportunity: Opportunity | None = None,
    renewal_of: Contract | None = None,
) -> Contract:
    """Enter a contract of `customer`; an empty number gets the next HT code."""
    if not can_create_contract(by, customer):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    contract = Contract(
        customer=customer,
        opportunity=opportunity,
        renewal_of=renewal_of,
        created_by=by,
        **{k: data[k] for k in CONTRACT_FIELDS if k in data and data[k] is not None},
    )
    contract.status = _entry_status(data, ContractStatus.ACTIVE, errors)
    _set_owner(contract, owner or by, errors)
    _clean_contract(contract, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if not contract.number:
            contract.number = contract_new_number()
        _save(contract, by)
    return contract


def contract_update(
    *,
    contract: Contract,
    by: User,
    data: dict[str, Any],
    expected_version: int | None,
    owner: User | None = None,
    opportunity: Opportunity | None = None,
) -> Contract:
    """Edit the fields (keys of `data` not given stay). An expired contract whose end date
    moves to today or later runs again."""
    if not can_change_contract(by, contract):
        raise PermissionDenied
    with transaction.atomic():
        current = _lock(contract, expected_version)
        _refuse_closed(current)
        errors: dict[str, list[str]] = {}
        for field in CONTRACT_FIELDS:
            if field in data:
                value = data[field]
                if value is None and field in ("number", "title", "notes"):
                    value = ""
                setattr(current, field, value)
        if not current.number:
            _add(errors, "number", _("The contract number cannot be empty."))
        if "opportunity" in data:
            current.opportunity = opportunity
        if "status" in data and current.status != ContractStatus.EXPIRED:
            current.status = _entry_status(data, current.status, errors)
        if owner is not None and owner.pk != current.owner_id:
            _set_owner(current, owner, errors)
        _clean_contract(current, errors)
        _check_amount_covers_payments(current, errors)
        if errors:
            raise ValidationError(errors)
        if current.status == ContractStatus.EXPIRED and current.ends_on >= timezone.localdate():
            current.status = ContractStatus.ACTIVE
        _save(current, by)
    current.refresh_from_db()
    return current


def contract_renew(
    *,
    contract: Contract,
    by: User,
    data: dict[str, Any],
    expected_version: int | None,
    owner: User | None = None,
) -> Contract:
    """Renew (续签): a new contract of the same customer linked to this one, which becomes
    renewed. The new one starts the day after the old one ends unless `data` says otherwise;
    amount and currency default to the old contract's."""
    if not can_change_contract(by, contract):
        raise PermissionDenied
    with transaction.atomic():
        current = _lock(contract, expected_version)
        _refuse_closed(current)
        values = {
            "title": current.title,
            "amount": current.amount,
            "currency": current.currency,
            "starts_on": current.ends_on + dt.timedelta(days=1),
            **{k: v for k, v in data.items() if v not in (None, "")},
        }
        if not values.get("ends_on"):
            raise ValidationError({"ends_on": _("Give the end date of the renewed contract.")})
        renewal = contract_create(
            by=by,
            customer=current.customer,
            data=values,
            owner=owner or current.owner,
            opportunity=current.opportunity,
            renewal_of=current,
        )
        current.status = ContractStatus.RENEWED
        _save(current, by, reason=_("Renewed by %(number)s") % {"number": renewal.number})
    return renewal


def contract_terminate(
    *, contract: Contract, by: User, reason: str, expected_version: int | None
) -> Contract:
    """End a contract early (终止); the reason is required and kept."""
    if not can_change_contract(by, contract):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"termination_reason": _("Give the reason for terminating the contract.")}
        )
    with transaction.atomic():
        current = _lock(contract, expected_version)
        _refuse_closed(current)
        current.status = ContractStatus.TERMINATED
        current.termination_reason = reason[:500]
        _save(current, by, reason=_("Terminated"))
    current.refresh_from_db()
    return current


def contract_delete(*, contract: Contract, by: User) -> None:
    """Move a contract entered by mistake to the recycle bin, with its payment plan and
    attachments (orders linked to it lose the link until it is restored): only whoever may
    edit the customer. A contract that was renewed stays while its renewal exists."""
    if not can_edit_customer(by, contract.customer):
        raise PermissionDenied
    recyclebin_delete(obj=contract, by=by)


# --- attachments ---------------------------------------------------------------------------
def contract_attachment_add(
    *, contract: Contract, by: User, upload: UploadedFile
) -> ContractAttachment:
    """Attach a file (PDF, image, Office document, OFD or zip) up to the size limit."""
    if not can_change_contract(by, contract):
        raise PermissionDenied
    name = PurePath(upload.name or "").name.strip()
    limit = settings.KEHU_CONTRACT_ATTACHMENT_MAX_BYTES
    if PurePath(name).suffix.lower() not in ATTACHMENT_SUFFIXES:
        raise ValidationError(
            {
                "file": _("Files of this type cannot be attached: %(name)s. Allowed: %(types)s.")
                % {"name": name, "types": " ".join(ATTACHMENT_SUFFIXES)}
            }
        )
    if not upload.size:
        raise ValidationError({"file": _("The file is empty.")})
    if upload.size > limit:
        raise ValidationError(
            {"file": _("The file is larger than %(limit)d MB.") % {"limit": limit // (1024 * 1024)}}
        )
    attachment = ContractAttachment(
        contract=contract,
        original_name=name[:200],
        content_type=(getattr(upload, "content_type", "") or "application/octet-stream")[:100],
        size=upload.size,
        uploaded_by=by,
    )
    with transaction.atomic():
        attachment.file.save(name, upload, save=False)
        try:  # a failed insert must not leave the file behind
            attachment.save()
        except Exception:
            attachment.file.delete(save=False)
            raise
    return attachment


def contract_attachment_delete(*, attachment: ContractAttachment, by: User) -> None:
    """Move an attachment to the recycle bin. Its file stays in storage so that restoring
    brings it back."""
    if not can_change_contract(by, attachment.contract):
        raise PermissionDenied
    recyclebin_delete(obj=attachment, by=by)


# --- payments ------------------------------------------------------------------------------
def _clean_payment(payment: Payment, contract: Contract, errors: dict[str, list[str]]) -> None:
    payment.notes = (payment.notes or "").strip()
    if CONTROL_CHARACTERS.search(payment.notes):
        _add(errors, "notes", _("This field contains invalid characters."))
    try:
        payment.full_clean(exclude=["contract", *errors], validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        return
    if payment.planned_amount <= 0:
        _add(errors, "planned_amount", _("The planned amount must be more than zero."))
    if payment.received_amount and not payment.received_on:
        _add(errors, "received_on", _("Give the date the money was received."))
    if payment.received_on and payment.received_on > timezone.localdate():
        _add(errors, "received_on", _("The date received cannot be in the future."))
    if payment.received_on and not payment.received_amount:
        _add(errors, "received_amount", _("Enter the amount received."))
    planned, received = _payment_totals(contract, excluding=payment.pk)
    if planned + payment.planned_amount > contract.amount:
        _add(
            errors,
            "planned_amount",
            _(
                "The planned payments would add up to %(total)s, more than the contract "
                "amount %(amount)s %(currency)s."
            )
            % {
                "total": planned + payment.planned_amount,
                "amount": contract.amount,
                "currency": contract.currency,
            },
        )
    if received + payment.received_amount > contract.amount:
        _add(
            errors,
            "received_amount",
            _(
                "The payments received would add up to %(total)s, more than the contract "
                "amount %(amount)s %(currency)s."
            )
            % {
                "total": received + payment.received_amount,
                "amount": contract.amount,
                "currency": contract.currency,
            },
        )


def payment_plan_add(
    *,
    contract: Contract,
    by: User,
    planned_on: dt.date | None,
    planned_amount: Decimal | None,
    notes: str = "",
    received_on: dt.date | None = None,
    received_amount: Decimal | None = None,
) -> Payment:
    """Add an instalment to the payment plan (回款计划), optionally already received."""
    if not can_change_contract(by, contract):
        raise PermissionDenied
    with transaction.atomic():
        # The contract row is locked so that two instalments added at once cannot both pass
        # the "not more than the contract amount" check.
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        _refuse_closed(locked)
        payment = Payment(
            contract=locked,
            planned_on=planned_on,
            planned_amount=planned_amount,
            received_on=received_on,
            received_amount=received_amount or ZERO,
            notes=notes or "",
            created_by=by,
        )
        errors: dict[str, list[str]] = {}
        _clean_payment(payment, locked, errors)
        if errors:
            raise ValidationError(errors)
        payment._history_user = by
        payment.save()
    return payment


def payment_update(
    *, payment: Payment, by: User, data: dict[str, Any], expected_version: int | None
) -> Payment:
    """Change an instalment: its plan, or what was received (keys of `data` not given stay).
    Money received on a closed contract may still be recorded; its plan is fixed."""
    if not can_change_contract(by, payment.contract):
        raise PermissionDenied
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=payment.contract_id)
        current = Payment.objects.select_for_update().get(pk=payment.pk)
        if expected_version is None or int(expected_version) != current.version:
            raise StaleEditError(current, since=expected_version)
        if contract.status in CLOSED_STATUSES and (
            ("planned_on" in data and data["planned_on"] != current.planned_on)
            or ("planned_amount" in data and data["planned_amount"] != current.planned_amount)
        ):
            _refuse_closed(contract)
        for field in PAYMENT_FIELDS:
            if field in data:
                value = data[field]
                if field == "received_amount" and value is None:
                    value = ZERO
                if field == "notes" and value is None:
                    value = ""
                setattr(current, field, value)
        errors: dict[str, list[str]] = {}
        _clean_payment(current, contract, errors)
        if errors:
            raise ValidationError(errors)
        current.version = F("version") + 1
        current._history_user = by
        current.save()
    current.refresh_from_db()
    return current


def payment_record(
    *,
    payment: Payment,
    by: User,
    received_amount: Decimal,
    received_on: dt.date | None,
    expected_version: int | None,
) -> Payment:
    """Record the money received (回款) for an instalment."""
    return payment_update(
        payment=payment,
        by=by,
        data={"received_amount": received_amount, "received_on": received_on},
        expected_version=expected_version,
    )


def payment_delete(*, payment: Payment, by: User) -> None:
    """Remove an instalment planned by mistake; one with money received stays."""
    if not can_change_contract(by, payment.contract):
        raise PermissionDenied
    if payment.received_amount:
        raise ValidationError(
            {"received_amount": _("Money was received for this instalment; it cannot be deleted.")}
        )
    recyclebin_delete(obj=payment, by=by)


# --- the daily checks (sales.tasks) --------------------------------------------------------
def _notify(*, user: User, title: str, body: str, url: str) -> None:
    from kehu.interactions.services import notification_create

    notification_create(recipient=user, title=title, body=body, url=url)
    if user.email:
        try:
            send_mail(
                title, f"{body}\n\n{settings.KEHU_BASE_URL.rstrip('/')}{url}", None, [user.email]
            )
        except OSError:
            # The in-app notice stands; the mail failure is logged for the operator.
            logger.exception("contract notice email to %s failed", user.email)


def contracts_mark_expired(*, today: dt.date | None = None) -> int:
    """Running contracts whose end date has passed become expired (history kept)."""
    today = today or timezone.localdate()
    ended = Contract.objects.filter(status=ContractStatus.ACTIVE, ends_on__lt=today)
    count = 0
    for contract in ended.iterator(chunk_size=200):
        with transaction.atomic():
            current = (
                Contract.objects.select_for_update()
                .filter(pk=contract.pk, status=ContractStatus.ACTIVE, ends_on__lt=today)
                .first()
            )
            if current is None:
                continue
            current.status = ContractStatus.EXPIRED
            with translation.override(settings.LANGUAGE_CODE):
                _save(current, None, reason=_("Expired"))
            count += 1
    return count


def contracts_send_expiry_notices(
    *, today: dt.date | None = None, within_days: int | None = None
) -> int:
    """Tell each owner about their running contracts ending within N days
    (KEHU_CONTRACT_EXPIRY_NOTICE_DAYS): a notification and an email, once per contract and
    end date. Each contract is claimed with a conditional UPDATE, so two schedulers or a retry
    never send the same notice twice. Returns how many were sent."""
    today = today or timezone.localdate()
    days = settings.KEHU_CONTRACT_EXPIRY_NOTICE_DAYS if within_days is None else within_days
    due = (
        Contract.objects.filter(
            status__in=RUNNING_CONTRACT_STATUSES,
            ends_on__gte=today,
            ends_on__lte=today + dt.timedelta(days=days),
        )
        .filter(Q(expiry_notified_for__isnull=True) | ~Q(expiry_notified_for=F("ends_on")))
        .select_related("customer", "owner")
    )
    sent = 0
    for contract in due.iterator(chunk_size=200):
        claimed = (
            Contract.objects.filter(pk=contract.pk, ends_on=contract.ends_on)
            .exclude(expiry_notified_for=contract.ends_on)
            .update(expiry_notified_for=contract.ends_on)
        )
        if not claimed:
            continue
        url = reverse("sales:contract-detail", args=[contract.pk])
        with translation.override(settings.LANGUAGE_CODE):
            title = _("Contract %(number)s ends in %(days)d days") % {
                "number": contract.number,
                "days": contract.days_left(today),
            }
            body = _("%(customer)s (%(code)s): %(title)s, ends %(end)s.") % {
                "customer": contract.customer.name,
                "code": contract.customer.code,
                "title": contract.title or contract.number,
                "end": f"{contract.ends_on:%Y-%m-%d}",
            }
        _notify(user=contract.owner, title=title, body=body, url=url)
        sent += 1
    return sent


def payments_notify_overdue(*, today: dt.date | None = None) -> int:
    """Tell the contract owner once about each instalment that became overdue."""
    today = today or timezone.localdate()
    overdue = (
        Payment.objects.overdue(today)
        .filter(overdue_notified_at__isnull=True)
        .exclude(contract__status=ContractStatus.TERMINATED)
        .select_related("contract__customer", "contract__owner")
    )
    sent = 0
    now = timezone.now()
    for payment in overdue.iterator(chunk_size=200):
        if not Payment.objects.filter(pk=payment.pk, overdue_notified_at__isnull=True).update(
            overdue_notified_at=now
        ):
            continue
        contract = payment.contract
        url = reverse("sales:contract-detail", args=[contract.pk])
        with translation.override(settings.LANGUAGE_CODE):
            title = _("Payment overdue on contract %(number)s") % {"number": contract.number}
            body = _("%(customer)s: %(amount)s %(currency)s planned for %(date)s.") % {
                "customer": contract.customer.name,
                "amount": payment.outstanding,
                "currency": contract.currency,
                "date": f"{payment.planned_on:%Y-%m-%d}",
            }
        _notify(user=contract.owner, title=title, body=body, url=url)
        sent += 1
    return sent
