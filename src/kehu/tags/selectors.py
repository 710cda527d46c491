"""Reads on tags and classification."""

from __future__ import annotations

from django.db.models import QuerySet

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.tags.models import CustomerClassification, CustomerTag, Tag, TagStatus


def tag_library(*, include_pending: bool = False) -> QuerySet[Tag]:
    tags = Tag.objects.all()
    if not include_pending:
        tags = tags.filter(status=TagStatus.APPROVED)
    return tags


def tag_requests_pending() -> QuerySet[Tag]:
    return Tag.objects.filter(status=TagStatus.PENDING).select_related("requested_by")


def tag_requests_of(*, user: User) -> QuerySet[Tag]:
    return Tag.objects.filter(requested_by=user).select_related("reviewed_by")


def tag_requests_visible(*, user: User) -> QuerySet[Tag]:
    """Reviewers see every request; anyone else only their own."""
    from kehu.core.permissions import can_review_tags

    tags = Tag.objects.select_related("requested_by", "reviewed_by")
    return tags if can_review_tags(user) else tags.filter(requested_by=user)


def customer_tags(*, user: User, customer: Customer) -> QuerySet[CustomerTag]:
    return (
        CustomerTag.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("tag", "added_by")
    )


def customer_classification(*, customer: Customer) -> CustomerClassification | None:
    return CustomerClassification.objects.filter(customer=customer).first()
