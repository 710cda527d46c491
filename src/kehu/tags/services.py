"""Writes on the tag library and customer tags."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.permissions import can_review_tags, can_tag_customer
from kehu.customers.models import Customer
from kehu.tags.models import CustomerTag, Tag, TagStatus


def tag_request(
    *,
    by: User,
    tag_type: str,
    name_zh: str,
    reason: str,
    name_en: str = "",
    description: str = "",
    exclusive_group: str = "",
) -> Tag:
    """Ask the data administrator to add a tag to the library; usable once approved."""
    tag = Tag(
        tag_type=tag_type,
        name_zh=(name_zh or "").strip(),
        name_en=(name_en or "").strip(),
        description=(description or "").strip(),
        exclusive_group=(exclusive_group or "").strip(),
        request_reason=(reason or "").strip(),
        requested_by=by,
        status=TagStatus.PENDING,
    )
    errors: dict[str, list[str]] = {}
    try:
        tag.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not tag.request_reason:
        errors.setdefault("reason", []).append(
            _("Say why the library needs this tag (what customers it describes).")
        )
    if errors:
        raise ValidationError(errors)
    tag.save()
    return tag


def _review(tag: Tag, by: User) -> Tag:
    if not can_review_tags(by):
        raise PermissionDenied
    with transaction.atomic():
        current = Tag.objects.select_for_update().get(pk=tag.pk)
        if current.status != TagStatus.PENDING:
            raise ValidationError(_("This tag request has already been decided."))
        if current.requested_by_id == by.pk:
            raise ValidationError(_("You cannot approve or reject your own tag request."))
        return current


def tag_approve(*, tag: Tag, by: User, note: str = "") -> Tag:
    current = _review(tag, by)
    current.status = TagStatus.APPROVED
    current.reviewed_by = by
    current.reviewed_at = timezone.now()
    current.review_note = (note or "").strip()
    current.save()
    return current


def tag_reject(*, tag: Tag, by: User, reason: str) -> Tag:
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the tag is rejected.")})
    current = _review(tag, by)
    current.status = TagStatus.REJECTED
    current.reviewed_by = by
    current.reviewed_at = timezone.now()
    current.review_note = reason.strip()
    current.save()
    return current


def customer_tag_add(*, customer: Customer, tag: Tag, by: User, note: str = "") -> CustomerTag:
    """Attach an approved tag; a tag that conflicts with one already there is refused."""
    if not can_tag_customer(by, customer):
        raise PermissionDenied
    tag = Tag.objects.get(pk=tag.pk)  # the status that counts is the stored one
    if tag.status != TagStatus.APPROVED:
        raise ValidationError(
            {
                "tag": _("The tag “%(tag)s” is not approved yet, so it cannot be used.")
                % {"tag": tag.label}
            }
        )
    note = (note or "").strip()
    if len(note) > 300:
        raise ValidationError({"note": _("At most 300 characters.")})
    with transaction.atomic():
        # Lock the customer so two conflicting tags added at once cannot both get in.
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        existing = list(CustomerTag.objects.filter(customer=customer).select_related("tag"))
        if any(ct.tag_id == tag.pk for ct in existing):
            raise ValidationError({"tag": _("The customer already has this tag.")})
        if tag.exclusive_group:
            clash = next(
                (ct.tag for ct in existing if ct.tag.exclusive_group == tag.exclusive_group), None
            )
            if clash is not None:
                raise ValidationError(
                    {
                        "tag": _(
                            "“%(new)s” conflicts with “%(old)s” already on this customer: a "
                            "customer carries only one of them. Remove “%(old)s” first."
                        )
                        % {"new": tag.label, "old": clash.label}
                    }
                )
        return CustomerTag.objects.create(customer=customer, tag=tag, note=note, added_by=by)


def customer_tag_remove(*, customer_tag: CustomerTag, by: User) -> None:
    if not can_tag_customer(by, customer_tag.customer):
        raise PermissionDenied
    customer_tag.delete()
