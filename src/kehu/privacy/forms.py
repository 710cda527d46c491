from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.validators import normalize_mobile
from kehu.privacy import selectors
from kehu.privacy.models import ConsentChannel, Purpose, RequestKind


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select form-select-sm")
        else:
            widget.attrs.setdefault("class", "form-control form-control-sm")


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("purpose"), choices=Purpose.choices)
    channel = forms.ChoiceField(label=_("channel"), choices=ConsentChannel.choices)
    given_at = forms.DateTimeField(
        label=_("given at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Empty: now."),
    )
    evidence = forms.CharField(label=_("evidence note"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class WithdrawForm(forms.Form):
    channel = forms.ChoiceField(label=_("withdrawn through"), choices=ConsentChannel.choices)


class DataRequestForm(forms.Form):
    contact = forms.IntegerField(
        label=_("contact id"),
        required=False,
        min_value=1,
        help_text=_("The number in the contact's address, or give the mobile number instead."),
    )
    mobile = forms.CharField(label=_("mobile"), required=False, max_length=20)
    kind = forms.ChoiceField(label=_("request"), choices=RequestKind.choices)
    note = forms.CharField(
        label=_("note"),
        required=False,
        max_length=500,
        help_text=_("How the request came in and how the person was verified; no personal data."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)

    def clean(self):
        data = super().clean()
        contact_id, mobile = data.get("contact"), normalize_mobile(data.get("mobile") or "")
        if contact_id:
            found = selectors.contact_for_request(contact_id=contact_id)
        elif mobile:
            matches = selectors.contacts_by_mobile(mobile=mobile)
            if len(matches) > 1:
                self.add_error(
                    "mobile",
                    _("Several contacts have this mobile number; give the contact id instead."),
                )
                return data
            found = matches[0] if matches else None
        else:
            self.add_error("contact", _("Give the contact id or the mobile number."))
            return data
        if found is None:
            self.add_error("contact" if contact_id else "mobile", _("No contact matches."))
        data["found"] = found
        return data


class CorrectForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=64)
    title = forms.CharField(label=pgettext_lazy("job", "title"), max_length=64, required=False)
    mobile = forms.CharField(label=_("mobile"), max_length=20, required=False)
    email = forms.EmailField(label=_("email"), required=False)
    phone = forms.CharField(label=_("landline"), max_length=32, required=False)
    remarks = forms.CharField(
        label=_("remarks"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500)
