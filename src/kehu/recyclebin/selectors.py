"""Recycle bin reads, always within the viewer's data scope (core.access)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from kehu.recyclebin.models import DeletedRecord

if TYPE_CHECKING:
    from kehu.accounts.models import User


def deleted_record_list(*, user: User, model: str = "") -> QuerySet[DeletedRecord]:
    items = DeletedRecord.objects.visible_to(user).select_related("deleted_by").defer("payload")
    if model:
        items = items.filter(model=model)
    return items


def deleted_record_types(*, user: User) -> list[str]:
    """The record types (``app.model``) among the items `user` may see, for the filter."""
    items = DeletedRecord.objects.visible_to(user).order_by("model")
    return list(items.values_list("model", flat=True).distinct())
