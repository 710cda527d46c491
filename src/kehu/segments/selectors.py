"""Reads on segments. A segment's customers start from the viewer's data scope
(customers.selectors.customer_list), so a shared segment shows each viewer only their own."""

from __future__ import annotations

from django.db.models import QuerySet

from kehu.accounts.models import User
from kehu.core.access import visible_segments
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_list
from kehu.segments.conditions import definition_filter
from kehu.segments.fields import FieldSpec
from kehu.segments.models import Segment


def segment_list(*, user: User) -> QuerySet[Segment]:
    return visible_segments(user).select_related("owner").order_by("name", "id")


def segment_customers(
    *, user: User, definition: dict, catalogue: dict[str, FieldSpec] | None = None
) -> QuerySet[Customer]:
    """The customers matching `definition` that `user` may see, with what a list row shows."""
    return definition_filter(customer_list(user=user), definition, catalogue=catalogue)


def segment_count(*, user: User, definition: dict) -> int:
    return segment_customers(user=user, definition=definition).order_by().count()
