"""Forms of the organisation pages: they collect input; accounts.services checks."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.accounts.selectors import handover_sources
from kehu.customers.forms import ServiceForm


def _user_label(user: User) -> str:
    return f"{user.display_name} · {user.department}" if user.department_id else user.display_name


class HandoverForm(ServiceForm):
    from_user = forms.ModelChoiceField(
        label=_("departing user"),
        queryset=User.objects.none(),
        empty_label=_("Choose the departing user…"),
    )
    to_user = forms.ModelChoiceField(
        label=_("taken over by"),
        queryset=User.objects.none(),
        empty_label=_("Choose who takes over…"),
    )
    deactivate = forms.BooleanField(
        label=_("Deactivate the departing user afterwards"),
        required=False,
        help_text=_("They can no longer sign in; everything they did stays in the history."),
    )
    note = forms.CharField(
        label=_("note"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 300}),
    )

    def __init__(self, *args, by: User, **kwargs):
        super().__init__(*args, **kwargs)
        sources = handover_sources(by).select_related("department").order_by("department_id", "id")
        self.fields["from_user"].queryset = sources
        self.fields["to_user"].queryset = (
            User.objects.filter(is_active=True)
            .select_related("department")
            .order_by("department_id", "id")
        )
        for name in ("from_user", "to_user"):
            self.fields[name].label_from_instance = _user_label
