"""Filters for the interaction, task and notification lists (API; the pages may reuse them)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from kehu.accounts.models import User
from kehu.interactions.models import Feedback, Method, TaskStatus


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An id; a hidden record's id simply matches nothing (the list is already scoped)."""


def _day_start(day: dt.date) -> dt.datetime:
    """Local midnight, so a date range is an indexable datetime range."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _on_or_after(field: str):
    def method(queryset, name, value):
        return queryset.filter(**{f"{field}__gte": _day_start(value)})

    return method


def _on_or_before(field: str):
    def method(queryset, name, value):
        return queryset.filter(**{f"{field}__lt": _day_start(value + dt.timedelta(days=1))})

    return method


class InteractionFilter(django_filters.FilterSet):
    customer = IdFilter(label=_("customer"), field_name="customer_id")
    method = django_filters.ChoiceFilter(label=_("method"), choices=Method.choices)
    feedback = django_filters.ChoiceFilter(label=_("customer feedback"), choices=Feedback.choices)
    follower = django_filters.ModelChoiceFilter(label=_("follower"), queryset=User.objects.all())
    occurred_from = django_filters.DateFilter(
        label=_("from"),
        method=_on_or_after("occurred_at"),
        help_text=_("Interactions on or after this date (YYYY-MM-DD)"),
    )
    occurred_to = django_filters.DateFilter(
        label=_("to"),
        method=_on_or_before("occurred_at"),
        help_text=_("Interactions on or before this date (YYYY-MM-DD)"),
    )


class TaskScope:
    MINE = "mine"
    VISIBLE = "visible"
    CHOICES = [(MINE, _("Assigned to me")), (VISIBLE, _("Every task I may see"))]


class TaskFilter(django_filters.FilterSet):
    scope = django_filters.ChoiceFilter(
        label=_("scope"),
        choices=TaskScope.CHOICES,
        method="filter_scope",
        empty_label=None,
        help_text=_("mine (default): tasks assigned to you; visible: every task you may see"),
    )
    status = django_filters.ChoiceFilter(label=_("status"), choices=TaskStatus.choices)
    customer = IdFilter(label=_("customer"), field_name="customer_id")
    due_from = django_filters.DateFilter(
        label=_("due from"),
        method=_on_or_after("due_at"),
        help_text=_("Tasks due on or after this date (YYYY-MM-DD)"),
    )
    due_to = django_filters.DateFilter(
        label=_("due to"),
        method=_on_or_before("due_at"),
        help_text=_("Tasks due on or before this date (YYYY-MM-DD)"),
    )

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not data.get("scope"):
            data = data.copy()
            data["scope"] = TaskScope.MINE
        super().__init__(data, *args, **kwargs)

    def filter_scope(self, queryset, name, value):
        if value == TaskScope.MINE:
            return queryset.filter(assignee=self.request.user)
        return queryset


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        label=_("unread"),
        field_name="read_at",
        lookup_expr="isnull",
        help_text=_("true: only unread; false: only read"),
    )
