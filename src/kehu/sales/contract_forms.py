"""Forms of the contract, payment and order pages. They parse input; the services
(sales.services.contracts / .orders) make the authoritative checks, and their errors are put
back next to the fields (``map_service_errors``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.customers.forms import BLANK, BootstrapForm, date_widget
from kehu.sales.forms import ServiceErrorsMixin
from kehu.sales.models import Contract, ContractStatus, Currency, Order, OrderStatus
from kehu.sales.services.contracts import CONTRACT_FIELDS, ENTRY_STATUSES

MONEY = {"max_digits": 14, "decimal_places": 2}


def _small(form: forms.Form) -> None:
    for field in form.fields.values():
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs["class"] = f"{css} form-control-sm"


class ContractForm(ServiceErrorsMixin, BootstrapForm):
    customer_code = forms.CharField(label=_("customer code"), max_length=24)
    number = forms.CharField(
        label=_("contract number"),
        max_length=32,
        required=False,
        help_text=_("Left empty, a number like HT20261100001 is given."),
    )
    title = forms.CharField(label=_("contract title"), max_length=128, required=False)
    amount = forms.DecimalField(label=_("contract amount"), min_value=0, **MONEY)
    currency = forms.ChoiceField(label=_("currency"), choices=Currency.choices)
    signed_on = forms.DateField(label=_("signed on"), widget=date_widget(), required=False)
    starts_on = forms.DateField(label=_("starts on"), widget=date_widget())
    ends_on = forms.DateField(label=_("ends on"), widget=date_widget())
    status = forms.ChoiceField(
        label=_("status"),
        choices=[(s.value, s.label) for s in ContractStatus if s in ENTRY_STATUSES],
    )
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none())
    notes = forms.CharField(
        label=_("notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user: User, instance: Contract | None = None, **kwargs):
        self.instance = instance
        if "initial" not in kwargs:
            kwargs["initial"] = (
                {
                    **{f: getattr(instance, f) for f in CONTRACT_FIELDS},
                    "status": instance.status,
                    "owner": instance.owner_id,
                    "version": instance.version,
                }
                if instance
                else {"owner": user.pk, "currency": Currency.CNY, "status": ContractStatus.ACTIVE}
            )
        super().__init__(*args, **kwargs)
        # The service checks that the owner can see the customer; any active user is offered.
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("id")
        if instance is not None:
            del self.fields["customer_code"]
            if instance.status not in ENTRY_STATUSES:
                del self.fields["status"]

    def contract_data(self) -> dict[str, Any]:
        data = {f: self.cleaned_data.get(f) for f in CONTRACT_FIELDS}
        if "status" in self.fields:
            data["status"] = self.cleaned_data.get("status")
        return data


class RenewForm(ServiceErrorsMixin, BootstrapForm):
    title = forms.CharField(label=_("contract title"), max_length=128, required=False)
    number = forms.CharField(
        label=_("contract number"),
        max_length=32,
        required=False,
        help_text=_("Left empty, a number like HT20261100001 is given."),
    )
    amount = forms.DecimalField(label=_("contract amount"), min_value=0, **MONEY)
    currency = forms.ChoiceField(label=_("currency"), choices=Currency.choices)
    signed_on = forms.DateField(label=_("signed on"), widget=date_widget(), required=False)
    starts_on = forms.DateField(label=_("starts on"), widget=date_widget())
    ends_on = forms.DateField(label=_("ends on"), widget=date_widget())
    version = forms.IntegerField(widget=forms.HiddenInput)

    def renewal_data(self) -> dict[str, Any]:
        keys = ("title", "number", "amount", "currency", "signed_on", "starts_on", "ends_on")
        return {k: self.cleaned_data.get(k) for k in keys}


class TerminateForm(BootstrapForm):
    reason = forms.CharField(label=_("reason for terminating"), max_length=500)
    version = forms.IntegerField(widget=forms.HiddenInput)


class PaymentPlanForm(ServiceErrorsMixin, BootstrapForm):
    planned_on = forms.DateField(label=_("planned date"), widget=date_widget())
    planned_amount = forms.DecimalField(label=_("planned amount"), min_value=0, **MONEY)
    notes = forms.CharField(label=_("notes"), max_length=500, required=False)


class PaymentRecordForm(ServiceErrorsMixin, BootstrapForm):
    received_amount = forms.DecimalField(label=_("received amount"), min_value=0, **MONEY)
    received_on = forms.DateField(label=_("received on"), widget=date_widget(), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class AttachmentForm(BootstrapForm):
    file = forms.FileField(label=_("file"))


class ContractFilterForm(forms.Form):
    q = forms.CharField(label=_("search"), max_length=64, required=False)
    status = forms.ChoiceField(
        label=_("status"), choices=BLANK + ContractStatus.choices, required=False
    )
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=User.objects.filter(is_active=True), required=False
    )
    expiring_within = forms.IntegerField(
        label=_("ending within (days)"), min_value=0, max_value=3650, required=False
    )
    overdue = forms.BooleanField(label=_("with overdue payments"), required=False)
    customer = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _small(self)
        self.fields["overdue"].widget.attrs["class"] = "form-check-input"


class OrderForm(ServiceErrorsMixin, BootstrapForm):
    customer_code = forms.CharField(label=_("customer code"), max_length=24)
    number = forms.CharField(
        label=_("order number"),
        max_length=32,
        required=False,
        help_text=_("Left empty, a number like DD20261100001 is given."),
    )
    ordered_on = forms.DateField(label=_("order date"), widget=date_widget())
    currency = forms.ChoiceField(label=_("currency"), choices=Currency.choices)
    status = forms.ChoiceField(label=_("status"), choices=OrderStatus.choices)
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none())
    notes = forms.CharField(
        label=_("notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user: User, instance: Order | None = None, **kwargs):
        self.instance = instance
        if "initial" not in kwargs:
            kwargs["initial"] = (
                {
                    "number": instance.number,
                    "ordered_on": instance.ordered_on,
                    "currency": instance.currency,
                    "status": instance.status,
                    "notes": instance.notes,
                    "owner": instance.owner_id,
                    "version": instance.version,
                }
                if instance
                else {"owner": user.pk, "currency": Currency.CNY, "status": OrderStatus.PLACED}
            )
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("id")
        if instance is not None:
            del self.fields["customer_code"]

    def order_data(self) -> dict[str, Any]:
        keys = ("number", "ordered_on", "currency", "status", "notes")
        return {k: self.cleaned_data.get(k) for k in keys}


class OrderLineForm(forms.Form):
    product_name = forms.CharField(label=_("product"), max_length=128, required=False)
    sku = forms.CharField(label=_("SKU"), max_length=64, required=False)
    quantity = forms.DecimalField(
        label=_("quantity"), max_digits=12, decimal_places=3, required=False
    )
    unit_price = forms.DecimalField(label=_("unit price"), required=False, **MONEY)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _small(self)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(k) not in (None, "") for k in self.fields)


OrderLineFormSet = forms.formset_factory(OrderLineForm, extra=3, max_num=200, absolute_max=200)


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("search"), max_length=64, required=False)
    status = forms.ChoiceField(
        label=_("status"), choices=BLANK + OrderStatus.choices, required=False
    )
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=User.objects.filter(is_active=True), required=False
    )
    date_from = forms.DateField(label=_("ordered from"), widget=date_widget(), required=False)
    date_to = forms.DateField(label=_("ordered until"), widget=date_widget(), required=False)
    customer = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _small(self)
