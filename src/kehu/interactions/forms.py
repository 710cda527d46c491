"""Forms of the interaction pages. They collect and convert input; interactions.services makes
the authoritative checks, and its errors are put back next to the fields they are about."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.core.access import users_who_can_see
from kehu.customers.forms import BLANK, BootstrapForm, date_widget
from kehu.customers.models import Customer
from kehu.interactions.models import Feedback, Method

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


def datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


def person_label(user: User) -> str:
    return f"{user.display_name} · {user.department}" if user.department_id else user.display_name


class PersonField(forms.ModelChoiceField):
    """Offers the users who can see the customer, but accepts any active user: someone chosen
    who may not see the customer gets the service's message ("… cannot see this customer"),
    which says more than "not one of the choices"."""

    def __init__(self, **kwargs):
        super().__init__(queryset=User.objects.filter(is_active=True), **kwargs)


def people_choices(customer: Customer) -> list[tuple[Any, str]]:
    """Who may act on the customer (it is visible to them), for the drop-downs."""
    people = users_who_can_see(customer).select_related("department").order_by("id")
    return [*BLANK, *((user.pk, person_label(user)) for user in people)]


def _now_for_input() -> dt.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


class ServiceErrorsMixin:
    """Service errors are keyed by field name; unknown keys go to the top of the form."""

    def map_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for key, messages in exc.message_dict.items():
            self.add_error(key if key in self.fields else None, messages)


class InteractionForm(ServiceErrorsMixin, BootstrapForm):
    """Quick entry of an interaction (客户互动记录), on the 360 page and the global action."""

    occurred_at = forms.DateTimeField(label=_("interaction time"), widget=datetime_widget())
    method = forms.ChoiceField(label=_("method"), choices=[*BLANK, *Method.choices])
    topic = forms.CharField(label=_("topic"), max_length=100)
    summary = forms.CharField(
        label=_("summary"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    feedback = forms.ChoiceField(label=_("customer feedback"), choices=[*BLANK, *Feedback.choices])
    follower = PersonField(label=_("follower"), help_text=_("Who talked to the customer."))
    next_action = forms.CharField(label=_("next action"), max_length=200, required=False)
    next_action_owner = PersonField(label=_("next action owner"), required=False)
    next_action_due = forms.DateTimeField(
        label=_("next action due"), required=False, widget=datetime_widget()
    )

    def __init__(self, *args, customer: Customer, user: User, **kwargs):
        kwargs.setdefault("auto_id", "interaction-%s")
        kwargs.setdefault(
            "initial",
            {"occurred_at": _now_for_input(), "follower": user.pk, "next_action_owner": user.pk},
        )
        super().__init__(*args, **kwargs)
        self.customer = customer
        people = people_choices(customer)
        self.fields["follower"].choices = people
        self.fields["next_action_owner"].choices = people
        self.fields["topic"].widget.attrs["placeholder"] = _("e.g. Product A demo")
        self.fields["next_action"].widget.attrs["placeholder"] = _(
            "e.g. Send the finance case studies by email"
        )

    def service_data(self) -> dict[str, Any]:
        """interaction_create's keyword arguments. The owner defaults to me, so it counts only
        when a next action or a due time was given."""
        data = {name: self.cleaned_data.get(name) for name in self.fields}
        data["next_action"] = data["next_action"] or ""
        if not data["next_action"] and data["next_action_due"] is None:
            data["next_action_owner"] = None
        return data


class TaskForm(ServiceErrorsMixin, BootstrapForm):
    """A task on a customer (the 360 page's "add task")."""

    title = forms.CharField(label=_("task"), max_length=200)
    assignee = PersonField(label=_("assignee"))
    due_at = forms.DateTimeField(label=_("due"), widget=datetime_widget())

    def __init__(self, *args, customer: Customer, user: User, **kwargs):
        kwargs.setdefault("prefix", "task")
        kwargs.setdefault("auto_id", "%s")  # ids "task-title" …: unique on the 360 page
        kwargs.setdefault("initial", {"assignee": user.pk})
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = people_choices(customer)
        self.fields["title"].widget.attrs["placeholder"] = _("e.g. Call back about the quote")

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ("title", "assignee", "due_at")}


class PeriodForm(BootstrapForm):
    """The timeliness report's period; this month by default."""

    since = forms.DateField(label=_("from"), required=False, widget=date_widget())
    until = forms.DateField(label=_("to"), required=False, widget=date_widget())

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the period is before its start."))
        return cleaned

    def period(self) -> tuple[dt.date, dt.date]:
        today = timezone.localdate()
        if not self.is_valid():
            return today.replace(day=1), today
        until = self.cleaned_data.get("until")
        since = self.cleaned_data.get("since") or (until or today).replace(day=1)
        until = until or max(today, since)
        return since, until
