"""Sales forms: they parse input; the services (sales.services) make the authoritative checks,
and their errors are put back next to the fields (``map_service_errors``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.accounts.models import User
from kehu.accounts.selectors import assignable_users
from kehu.customers.forms import (
    BLANK,
    BootstrapForm,
    PresetChoiceField,
    date_widget,
    mobile_widget,
)
from kehu.customers.models import CustomerType, Industry, Region, Scale, Source
from kehu.customers.sensitive import mobile_index, mobile_last4_index
from kehu.pool.selectors import lead_rules_cover
from kehu.sales.models import Lead, LeadStatus, Opportunity, PipelineStage
from kehu.sales.services.leads import LEAD_FIELDS
from kehu.sales.services.opportunities import OPPORTUNITY_FIELDS


class ServiceErrorsMixin:
    def map_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for key, messages in exc.message_dict.items():
            name = key.removeprefix("decision_maker.")
            if name in self.fields and name != "version":
                self.add_error(name, messages)
            else:
                self.add_error(None, messages)


class LeadForm(ServiceErrorsMixin, BootstrapForm):
    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=64)
    company = forms.CharField(label=_("company"), max_length=128, required=False)
    title = forms.CharField(label=pgettext_lazy("job", "title"), max_length=64, required=False)
    mobile = forms.CharField(
        label=_("mobile"), max_length=20, required=False, widget=mobile_widget()
    )
    email = forms.EmailField(label=_("email"), required=False)
    source = forms.ChoiceField(label=_("source"), choices=BLANK + Source.choices)
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none())
    notes = forms.CharField(
        label=_("notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user: User, instance: Lead | None = None, **kwargs):
        self.instance = instance
        if "initial" not in kwargs:
            kwargs["initial"] = (
                {
                    **{f: getattr(instance, f) for f in LEAD_FIELDS},
                    "industry": instance.industry_id,
                    "region": instance.region_id,
                    "owner": instance.owner_id,
                    "version": instance.version,
                }
                if instance
                else {"owner": None if lead_rules_cover(user=user) else user.pk}
            )
        super().__init__(*args, **kwargs)
        owners = assignable_users(user)
        if instance is not None:
            owners = owners | User.objects.filter(pk=instance.owner_id)
        else:
            # A new lead may be left to the assignment rules (分配规则): the empty choice.
            self.fields["owner"].required = False
            self.fields["owner"].empty_label = _("Assign automatically (by the rules)")
            self.fields["owner"].help_text = _(
                "Automatic: the lead assignment rules pick the owner; when none applies, you "
                "own the lead."
            )
        self.fields["owner"].queryset = owners.order_by("id")
        self.fields["industry"] = PresetChoiceField(
            Industry, label=_("industry"), required=False, keep=instance and instance.industry_id
        )
        self.fields["region"] = PresetChoiceField(
            Region,
            label=_("province / region"),
            required=False,
            keep=instance and instance.region_id,
        )
        for name in ("industry", "region"):
            self.fields[name].widget.attrs["class"] = "form-select"
        self.order_fields(
            ["name", "company", "title", "mobile", "email", "source", "industry", "region", "owner"]
        )

    def lead_data(self) -> dict[str, Any]:
        return {f: self.cleaned_data.get(f) for f in LEAD_FIELDS}


class LeadStatusForm(BootstrapForm):
    status = forms.ChoiceField(
        label=_("status"),
        choices=[(c.value, c.label) for c in LeadStatus if c != LeadStatus.CONVERTED],
    )
    reason = forms.CharField(label=_("reason for disqualifying"), max_length=500, required=False)


class ConvertLeadForm(ServiceErrorsMixin, BootstrapForm):
    """Convert into a new customer, or link an existing one by its code; optionally open an
    opportunity at the same time."""

    NEW, LINK = "new", "link"
    mode = forms.ChoiceField(
        label=_("convert into"),
        choices=[(NEW, _("a new customer")), (LINK, _("an existing customer"))],
        widget=forms.RadioSelect,
        initial=NEW,
    )
    customer_name = forms.CharField(label=_("customer name"), max_length=128, required=False)
    customer_type = forms.ChoiceField(
        label=_("customer type"), choices=CustomerType.choices, required=False
    )
    scale = forms.ChoiceField(label=_("scale"), choices=BLANK + Scale.choices, required=False)
    customer_code = forms.CharField(
        label=_("customer code"),
        max_length=24,
        required=False,
        help_text=_("The code of an existing customer you may edit, e.g. CX20261100001."),
    )
    create_opportunity = forms.BooleanField(label=_("also open an opportunity"), required=False)
    opportunity_name = forms.CharField(label=_("opportunity name"), max_length=128, required=False)
    amount = forms.DecimalField(
        label=_("expected amount (CNY)"), max_digits=14, decimal_places=2, required=False
    )
    expected_close_date = forms.DateField(
        label=_("expected close date"), widget=date_widget(), required=False
    )
    confirmed_duplicates = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, lead: Lead, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "mode": self.NEW,
                "customer_name": lead.company or lead.name,
                "customer_type": CustomerType.ENTERPRISE
                if lead.company
                else CustomerType.INDIVIDUAL,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["mode"].widget.attrs["class"] = "form-check-input"
        self.fields["create_opportunity"].widget.attrs["class"] = "form-check-input"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("mode") == self.LINK and not cleaned.get("customer_code"):
            self.add_error("customer_code", _("Enter the code of the customer to link."))
        if cleaned.get("mode") == self.NEW and not cleaned.get("scale"):
            self.add_error("scale", _("This field is required."))
        if cleaned.get("create_opportunity") and not cleaned.get("opportunity_name"):
            self.add_error("opportunity_name", _("Name the opportunity to open."))
        return cleaned

    def customer_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data.get("customer_name"),
            "customer_type": data.get("customer_type"),
            "scale": data.get("scale"),
        }

    def opportunity_data(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("create_opportunity"):
            return None
        return {
            "name": data["opportunity_name"],
            "amount": data.get("amount"),
            "expected_close_date": data.get("expected_close_date"),
        }

    def confirmed_duplicate_codes(self) -> set[str]:
        return set(filter(None, self.cleaned_data.get("confirmed_duplicates", "").split(",")))

    def ask_to_confirm(self, codes: list[str]) -> None:
        self.data = self.data.copy()
        self.data["confirmed_duplicates"] = ",".join(codes)


class OpportunityForm(ServiceErrorsMixin, BootstrapForm):
    customer_code = forms.CharField(label=_("customer code"), max_length=24)
    name = forms.CharField(label=_("opportunity name"), max_length=128)
    amount = forms.DecimalField(
        label=_("expected amount (CNY)"), max_digits=14, decimal_places=2, required=False
    )
    expected_close_date = forms.DateField(
        label=_("expected close date"), widget=date_widget(), required=False
    )
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none())
    competitor = forms.CharField(label=_("competitor"), max_length=128, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user: User, instance: Opportunity | None = None, **kwargs):
        self.instance = instance
        if "initial" not in kwargs:
            kwargs["initial"] = (
                {
                    **{f: getattr(instance, f) for f in OPPORTUNITY_FIELDS},
                    "owner": instance.owner_id,
                    "version": instance.version,
                }
                if instance
                else {"owner": user.pk}
            )
        super().__init__(*args, **kwargs)
        # The service checks that the owner can see the customer; any active user is offered.
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("id")
        if instance is not None:
            del self.fields["customer_code"]

    def opportunity_data(self) -> dict[str, Any]:
        return {f: self.cleaned_data.get(f) for f in OPPORTUNITY_FIELDS}


class MoveForm(forms.Form):
    """A stage move, from the board (fetch) or the detail page (plain form)."""

    stage = forms.ModelChoiceField(
        label=_("stage"), queryset=PipelineStage.objects.filter(is_active=True)
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
    loss_reason = forms.CharField(label=_("loss reason"), max_length=500, required=False)
    reopen = forms.BooleanField(label=_("reopen this closed opportunity"), required=False)


class OpportunityFilterForm(forms.Form):
    stage = forms.ModelChoiceField(
        label=_("stage"), queryset=PipelineStage.objects.filter(is_active=True), required=False
    )
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=User.objects.filter(is_active=True), required=False
    )
    close_from = forms.DateField(label=_("closing from"), widget=date_widget(), required=False)
    close_to = forms.DateField(label=_("closing until"), widget=date_widget(), required=False)
    customer = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{css} form-control-sm"

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data.get("stage"):
            queryset = queryset.filter(stage=data["stage"])
        if data.get("owner"):
            queryset = queryset.filter(owner=data["owner"])
        if data.get("close_from"):
            queryset = queryset.filter(expected_close_date__gte=data["close_from"])
        if data.get("close_to"):
            queryset = queryset.filter(expected_close_date__lte=data["close_to"])
        if data.get("customer"):
            queryset = queryset.filter(customer_id=data["customer"])
        return queryset


class LeadFilterForm(forms.Form):
    q = forms.CharField(label=_("search"), max_length=64, required=False)
    status = forms.ChoiceField(
        label=_("status"), choices=BLANK + LeadStatus.choices, required=False
    )
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=User.objects.filter(is_active=True), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{css} form-control-sm"

    def filter(self, queryset):
        from django.db.models import Q

        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data.get("q"):
            term = data["q"].strip()
            query = Q(name__icontains=term) | Q(company__icontains=term)
            # The mobile is encrypted: whole number or last 4 digits, by blind index.
            digits = term.replace(" ", "").replace("-", "")
            if digits.isdigit() and len(digits) == 4:
                query |= Q(mobile_last4_hash=mobile_last4_index(digits))
            elif digits.isdigit() and len(digits) >= 11:
                query |= Q(mobile_hash=mobile_index(digits))
            queryset = queryset.filter(query)
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        if data.get("owner"):
            queryset = queryset.filter(owner=data["owner"])
        return queryset


class WebToLeadPublicForm(forms.Form):
    """The public form. `website` is a honeypot: hidden from people, filled in by bots."""

    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=64)
    company = forms.CharField(label=_("company"), max_length=128, required=False)
    mobile = forms.CharField(
        label=_("mobile"), max_length=20, required=False, widget=mobile_widget()
    )
    email = forms.EmailField(label=_("email"), required=False)
    notes = forms.CharField(
        label=_("your message"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    website = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    stamp = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "website":
                field.widget.attrs["class"] = "form-control"

    def lead_data(self) -> dict[str, Any]:
        return {
            k: self.cleaned_data.get(k) or ""
            for k in ("name", "company", "mobile", "email", "notes")
        }
