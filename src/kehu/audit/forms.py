from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.audit.models import AuditAction
from kehu.audit.selectors import FeedFilter, model_choices


class FeedFilterForm(forms.Form):
    model = forms.ChoiceField(label=_("record type"), required=False)
    record = forms.IntegerField(label=_("record id"), required=False, min_value=1)
    actor = forms.ModelChoiceField(
        label=_("user"), queryset=User.objects.order_by("username"), required=False
    )
    action = forms.ChoiceField(
        label=_("action"),
        required=False,
        choices=[("", "—"), *[(a.value, a.label) for a in AuditAction]],
    )
    date_from = forms.DateField(label=_("from"), required=False)
    date_to = forms.DateField(label=_("to"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", "—"), *model_choices()]
        for name, field in self.fields.items():
            css = (
                "form-select form-select-sm"
                if name in ("model", "actor", "action")
                else "form-control form-control-sm"
            )
            field.widget.attrs["class"] = css
            if name.startswith("date_"):
                field.widget.input_type = "date"

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def feed_filter(self) -> FeedFilter:
        if not self.is_bound or not self.is_valid():
            return FeedFilter()
        data = self.cleaned_data
        return FeedFilter(
            model=data.get("model") or "",
            record=str(data["record"]) if data.get("record") else "",
            actor_id=data["actor"].pk if data.get("actor") else None,
            action=data.get("action") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
