"""Writes on customers and contacts. Form, API, importer and tasks all call these."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.accounts.selectors import assignable_users
from kehu.core.access import can_edit_customer
from kehu.core.codes import next_serial
from kehu.core.crypto.fields import refresh_blind_indexes
from kehu.core.permissions import can_delete_customer, can_manage_team, can_unmask
from kehu.core.text import pinyin_search_fields
from kehu.customers.models import (
    Contact,
    Customer,
    CustomerShare,
    CustomFieldDefinition,
    Industry,
    UnmaskLog,
)
from kehu.customers.sensitive import CUSTOM_PREFIX
from kehu.customers.validators import check_custom_values, normalize_mobile
from kehu.dataquality.normalize import normalize_company_name
from kehu.recyclebin.services import recyclebin_delete

# Fields a caller may set on a customer; code, owner's department and pinyin are derived.
CUSTOMER_FIELDS = (
    "customer_type",
    "name",
    "credit_code",
    "industry",
    "scale",
    "enterprise_type",
    "region",
    "city",
    "district",
    "street",
    "source",
    "first_contact_date",
    "status",
    "annual_budget",
    "remarks",
)
CONTACT_FIELDS = ("name", "title", "mobile", "email", "phone", "remarks")


class StaleEditError(ValidationError):
    """Someone saved the record after the editor loaded it; their change must not be lost."""

    def __init__(self, record: Customer | Contact, *, since: int | str | None = None):
        from kehu.core.conflicts import stale_changes

        self.current = record
        # What was saved after the editor's version `since` (who, when, before → after).
        self.changes = stale_changes(record, since)
        super().__init__(
            {
                "version": _(
                    "Someone else saved this record at %(time)s after you opened it. Your "
                    "changes were not saved; reload to see the current values, then apply "
                    "your changes again."
                )
                % {"time": timezone.localtime(record.updated_at).strftime("%Y-%m-%d %H:%M:%S")}
            },
            code="stale",
        )


def _collect(errors: dict[str, list[str]], exc: ValidationError, prefix: str = "") -> None:
    for field, messages in exc.message_dict.items():
        key = f"{prefix}{field}" if field != "__all__" or not prefix else prefix.rstrip(".")
        errors.setdefault(key, []).extend(messages)


def _active_custom_fields() -> list[CustomFieldDefinition]:
    return list(CustomFieldDefinition.objects.filter(is_active=True))


@dataclass
class CheckContext:
    """Lookups `customer_check` needs, loaded once for many rows (the importer): with it a
    check runs no queries; uniqueness and foreign keys are then the caller's bulk job."""

    custom_fields: list[CustomFieldDefinition]
    parent_industry_ids: set[int]
    assignable_owner_ids: set[int]

    @classmethod
    def load(cls, *, by: User) -> CheckContext:
        parents = Industry.objects.filter(children__is_active=True).values_list("id", flat=True)
        return cls(
            custom_fields=_active_custom_fields(),
            parent_industry_ids=set(parents),
            assignable_owner_ids=set(assignable_users(by).values_list("id", flat=True)),
        )


@dataclass
class CustomerCheck:
    """The unsaved customer and decision maker of a create, and every error found."""

    customer: Customer
    contact: Contact | None
    errors: dict[str, list[str]] = dataclass_field(default_factory=dict)


def _check_owner(
    *, by: User, owner: User, errors: dict[str, list[str]], context: CheckContext | None = None
) -> None:
    if not owner.is_active:
        errors.setdefault("owner", []).append(_("The owner must be an active user."))
        return
    if context is not None:
        allowed = owner.pk in context.assignable_owner_ids
    else:
        allowed = assignable_users(by).filter(pk=owner.pk).exists()
    if not allowed:
        errors.setdefault("owner", []).append(
            _("You may only assign customers to users inside your own data scope.")
        )


# Checked in bulk by the importer when it passes a CheckContext (one query per chunk).
_BULK_CHECKED = ("industry", "region", "created_by", "department")


def _clean_customer(
    customer: Customer,
    errors: dict[str, list[str]],
    exclude=(),
    context: CheckContext | None = None,
    validate: bool = True,
) -> None:
    customer.name = (customer.name or "").strip()
    if customer.credit_code is not None:
        customer.credit_code = customer.credit_code.strip().upper() or None
    bulk = context is not None
    if validate:
        try:
            customer.full_clean(
                exclude=["owner", "code", *exclude, *(_BULK_CHECKED if bulk else ())],
                validate_unique=not bulk,
            )
        except ValidationError as exc:
            _collect(errors, exc)
    industry, region = customer.industry, customer.region
    if industry is not None:
        if bulk:
            has_children = industry.pk in context.parent_industry_ids
        else:
            has_children = industry.children.filter(is_active=True).exists()
        if has_children:
            errors.setdefault("industry", []).append(
                _("Choose a specific industry within %(category)s.") % {"category": industry.label}
            )
    if region is not None and region.parent_id is None:
        errors.setdefault("region", []).append(
            _("Choose a province-level region within %(area)s.") % {"area": region.label}
        )


def _clean_contact(
    contact: Contact, errors: dict[str, list[str]], prefix: str = "", validate: bool = True
) -> None:
    contact.name = (contact.name or "").strip()
    contact.mobile = normalize_mobile(contact.mobile)
    refresh_blind_indexes(contact)
    if not validate:
        return
    try:
        contact.full_clean(exclude=["customer"], validate_constraints=False)
    except ValidationError as exc:
        _collect(errors, exc, prefix)


def customer_derive_fields(customer: Customer) -> None:
    """Fields computed from others: pinyin for search, the duplicate key, the owner's department
    for scope."""
    syllables, initials = pinyin_search_fields(customer.name)
    customer.name_pinyin = syllables[:512]
    customer.name_initials = initials[:128]
    customer.name_key = normalize_company_name(customer.name)[:128]
    customer.department_id = customer.owner.department_id


def customer_code_prefix() -> str:
    return f"CX{timezone.localdate():%Y%m}"


def customer_new_code() -> str:
    """CX + yyyymm + 5-digit serial per month (CX20231001001); serials never reused."""
    prefix = customer_code_prefix()
    return f"{prefix}{next_serial(prefix):05d}"


def customer_check(
    *,
    by: User,
    data: dict[str, Any],
    decision_maker: dict[str, Any],
    owner: User | None = None,
    custom_fields: dict[str, Any] | None = None,
    context: CheckContext | None = None,
    validate: bool = True,
) -> CustomerCheck:
    """Validate a new customer with its key decision maker without saving: the one rule set
    shared by the form, the API and the importer. Errors are keyed by field
    (``decision_maker.mobile``, ``custom_fields.<key>``).

    ``validate=False`` builds the same objects without the model's ``full_clean`` (field
    validators and ``clean``); only for the importer's write of a row that a dry run of the
    same file, mapping, lookups and rules has already passed (its verdict is reused)."""
    owner = owner or by
    errors: dict[str, list[str]] = {}
    customer = Customer(
        owner=owner, created_by=by, **{k: data[k] for k in CUSTOMER_FIELDS if k in data}
    )
    _check_owner(by=by, owner=owner, errors=errors, context=context)
    _clean_customer(customer, errors, context=context, validate=validate)
    contact = Contact(
        is_decision_maker=True, **{k: decision_maker.get(k) or "" for k in CONTACT_FIELDS}
    )
    _clean_contact(contact, errors, prefix="decision_maker.", validate=validate)
    if not contact.mobile:
        errors.setdefault("decision_maker.mobile", []).append(
            _("The decision maker's mobile number is required.")
        )
    definitions = context.custom_fields if context is not None else _active_custom_fields()
    try:
        customer.custom_fields = check_custom_values(definitions, custom_fields)
    except ValidationError as exc:
        _collect(errors, exc)
    return CustomerCheck(customer=customer, contact=contact, errors=errors)


def customer_create(
    *,
    by: User,
    data: dict[str, Any],
    decision_maker: dict[str, Any],
    owner: User | None = None,
    custom_fields: dict[str, Any] | None = None,
) -> Customer:
    """Create a customer with its key decision maker; all errors reported at once."""
    check = customer_check(
        by=by, data=data, decision_maker=decision_maker, owner=owner, custom_fields=custom_fields
    )
    if check.errors:
        raise ValidationError(check.errors)
    customer, contact = check.customer, check.contact
    with transaction.atomic():
        customer.code = customer_new_code()
        customer_derive_fields(customer)
        customer._history_user = by
        customer.save()
        contact.customer = customer
        contact._history_user = by
        contact.save()
        transaction.on_commit(lambda: _check_completeness_later(customer.pk))
    return customer


def _check_completeness_later(customer_id: int) -> None:
    from kehu.dataquality.tasks import check_customer_completeness

    check_customer_completeness.delay(customer_id)


def _lock_current(model, pk: int, expected_version: int | None):
    current = model.objects.select_for_update().get(pk=pk)
    if expected_version is None or int(expected_version) != current.version:
        raise StaleEditError(current, since=expected_version)
    return current


def customer_check_changes(
    *,
    by: User,
    customer: Customer,
    contact: Contact | None,
    data: dict[str, Any],
    decision_maker: dict[str, Any] | None = None,
    owner: User | None = None,
    custom_fields: dict[str, Any] | None = None,
    context: CheckContext | None = None,
) -> CustomerCheck:
    """Apply changes to a loaded customer (and its decision maker `contact`, when
    `decision_maker` is given) without saving, validated by the same rules as a create.
    Status is not changed here: it has its own flow (reason, approval)."""
    errors: dict[str, list[str]] = {}
    for name in CUSTOMER_FIELDS:
        if name in data and name != "status":
            setattr(customer, name, data[name])
    if owner is not None and owner.pk != customer.owner_id:
        _check_owner(by=by, owner=owner, errors=errors, context=context)
        customer.owner = owner
    _clean_customer(customer, errors, context=context)
    if custom_fields is not None:
        definitions = context.custom_fields if context is not None else _active_custom_fields()
        active = {d.key for d in definitions}
        # Values of fields an administrator has since deactivated are kept as they are.
        retired = {k: v for k, v in customer.custom_fields.items() if k not in active}
        merged = {k: v for k, v in customer.custom_fields.items() if k in active}
        merged.update(custom_fields)
        try:
            cleaned = check_custom_values(definitions, merged)
            customer.custom_fields = {**retired, **cleaned}
        except ValidationError as exc:
            _collect(errors, exc)
    if contact is not None and decision_maker is not None:
        for name in CONTACT_FIELDS:
            if name in decision_maker:
                setattr(contact, name, decision_maker[name] or "")
        _clean_contact(contact, errors, prefix="decision_maker.")
        if not contact.mobile:
            errors.setdefault("decision_maker.mobile", []).append(
                _("The decision maker's mobile number is required.")
            )
    return CustomerCheck(customer=customer, contact=contact, errors=errors)


def customer_update(
    *,
    customer: Customer,
    by: User,
    data: dict[str, Any],
    expected_version: int | None,
    decision_maker: dict[str, Any] | None = None,
    owner: User | None = None,
    custom_fields: dict[str, Any] | None = None,
) -> Customer:
    """Update fields (and the decision maker); refused if the record changed since it was read.

    Status is not changed here: it has its own flow (reason, approval).
    """
    if not can_edit_customer(by, customer):
        raise PermissionDenied
    with transaction.atomic():
        current = _lock_current(Customer, customer.pk, expected_version)
        contact = None
        if decision_maker is not None:
            contact = current.contacts.filter(is_decision_maker=True).first() or Contact(
                customer=current, is_decision_maker=True
            )
        check = customer_check_changes(
            by=by,
            customer=current,
            contact=contact,
            data=data,
            decision_maker=decision_maker,
            owner=owner,
            custom_fields=custom_fields,
        )
        if check.errors:
            raise ValidationError(check.errors)
        customer_derive_fields(current)
        current.version = F("version") + 1
        current._history_user = by
        current.save()
        if contact is not None and (contact.pk is None or _contact_changed(contact)):
            if contact.pk is not None:
                contact.version = F("version") + 1
            contact._history_user = by
            contact.save()
        transaction.on_commit(lambda: _check_completeness_later(current.pk))
    current.refresh_from_db()
    return current


def _contact_changed(contact: Contact) -> bool:
    saved = Contact.objects.filter(pk=contact.pk).values(*CONTACT_FIELDS).first()
    return saved is None or any(saved[f] != getattr(contact, f) for f in CONTACT_FIELDS)


def contact_create(*, customer: Customer, by: User, data: dict[str, Any]) -> Contact:
    if not can_edit_customer(by, customer):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    contact = Contact(customer=customer, **{k: data.get(k) or "" for k in CONTACT_FIELDS})
    _clean_contact(contact, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        contact._history_user = by
        contact.save()
        Customer.objects.filter(pk=customer.pk).update(updated_at=timezone.now())
    return contact


def contact_update(
    *, contact: Contact, by: User, data: dict[str, Any], expected_version: int | None
) -> Contact:
    if not can_edit_customer(by, contact.customer):
        raise PermissionDenied
    with transaction.atomic():
        current = _lock_current(Contact, contact.pk, expected_version)
        for field in CONTACT_FIELDS:
            if field in data:
                setattr(current, field, data[field] or "")
        errors: dict[str, list[str]] = {}
        _clean_contact(current, errors)
        if current.is_decision_maker and not current.mobile:
            errors.setdefault("mobile", []).append(
                _("The decision maker's mobile number is required.")
            )
        if errors:
            raise ValidationError(errors)
        current.version = F("version") + 1
        current._history_user = by
        current.save()
        Customer.objects.filter(pk=current.customer_id).update(updated_at=timezone.now())
        transaction.on_commit(lambda: _check_completeness_later(current.customer_id))
    current.refresh_from_db()
    return current


def contact_make_decision_maker(*, contact: Contact, by: User) -> Contact:
    """Move the key-decision-maker mark to `contact` (exactly one per customer)."""
    if not can_edit_customer(by, contact.customer):
        raise PermissionDenied
    if not contact.mobile:
        raise ValidationError(
            {"mobile": _("Add a mobile number before making this contact the decision maker.")}
        )
    with transaction.atomic():
        for other in (
            Contact.objects.select_for_update()
            .filter(customer_id=contact.customer_id, is_decision_maker=True)
            .exclude(pk=contact.pk)
        ):
            other.is_decision_maker = False
            other._history_user = by
            other.save()
        contact.is_decision_maker = True
        contact._history_user = by
        contact.save()
        transaction.on_commit(lambda: _check_completeness_later(contact.customer_id))
    return contact


def contact_delete(*, contact: Contact, by: User) -> None:
    if not can_edit_customer(by, contact.customer):
        raise PermissionDenied
    if contact.is_decision_maker:
        raise ValidationError(
            _("Make another contact the key decision maker before deleting this one.")
        )
    recyclebin_delete(obj=contact, by=by)


def customer_delete(*, customer: Customer, by: User) -> None:
    """Move the customer, its contacts and its history of work into the recycle bin. Refused
    while records that must outlive it (opportunities, contracts …) still refer to it."""
    if not can_delete_customer(by, customer):
        raise PermissionDenied
    recyclebin_delete(obj=customer, by=by)


def customer_share_set(*, customer: Customer, user: User, access: str, by: User) -> CustomerShare:
    """Add a colleague to the customer's related team, or change their access."""
    if not can_manage_team(by, customer):
        raise PermissionDenied
    if user.pk == customer.owner_id:
        raise ValidationError({"user": _("The owner is already responsible for this customer.")})
    if not user.is_active:
        raise ValidationError({"user": _("Only active users can join a related team.")})
    share, _created = CustomerShare.objects.update_or_create(
        customer=customer, user=user, defaults={"access": access}
    )
    share.full_clean()
    return share


def customer_share_remove(*, customer: Customer, user: User, by: User) -> None:
    if not can_manage_team(by, customer):
        raise PermissionDenied
    CustomerShare.objects.filter(customer=customer, user=user).delete()


def customer_unmask(
    *, customer: Customer, by: User, ip_address: str | None, contact: Contact | None = None
) -> dict[int, str]:
    """Reveal mobile numbers of the customer's contacts (or one contact); logged per number."""
    if not can_unmask(by, customer):
        raise PermissionDenied
    contacts = customer.contacts.exclude(mobile="")
    if contact is not None:
        contacts = contacts.filter(pk=contact.pk)
    revealed = {c.pk: c.mobile for c in contacts}
    UnmaskLog.objects.bulk_create(
        UnmaskLog(user=by, customer=customer, contact_id=pk, field="mobile", ip_address=ip_address)
        for pk in revealed
    )
    return revealed


def customer_unmask_custom(
    *, customer: Customer, key: str, by: User, ip_address: str | None
) -> str:
    """Reveal the value of a custom field marked sensitive (e.g. an ID number); logged like a
    mobile number, under the field name ``custom.<key>``."""
    field = CUSTOM_PREFIX + key
    definition = CustomFieldDefinition.objects.filter(key=key, sensitive=True).first()
    if definition is None or not can_unmask(by, customer, field=field):
        raise PermissionDenied
    UnmaskLog.objects.create(user=by, customer=customer, field=field, ip_address=ip_address)
    value = customer.custom_fields.get(key)
    return "" if value is None else str(value)
