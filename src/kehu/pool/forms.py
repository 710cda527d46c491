"""Pool forms: they parse input; kehu.pool.services makes the authoritative checks and its
errors are put back next to the fields (``map_service_errors``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Department, User
from kehu.customers.forms import BLANK, ServiceForm, grouped_preset_choices
from kehu.customers.models import Industry, Region, Status
from kehu.pool.models import AssignmentRule, AssignmentScope, AssignmentStrategy, Pool


def _active_people():
    return User.objects.filter(is_active=True).order_by("id")


class PoolFilterForm(forms.Form):
    q = forms.CharField(label=_("search"), max_length=64, required=False)
    pool = forms.ModelChoiceField(
        label=_("public pool"), queryset=Pool.objects.none(), required=False
    )
    status = forms.ChoiceField(label=_("status"), choices=BLANK + Status.choices, required=False)
    industry = forms.ModelChoiceField(
        label=_("industry"), queryset=Industry.objects.all(), required=False
    )
    region = forms.ModelChoiceField(
        label=_("province / region"), queryset=Region.objects.all(), required=False
    )

    def __init__(self, *args, pools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pool"].queryset = pools
        self.fields["industry"].choices = grouped_preset_choices(Industry, parents_selectable=True)
        self.fields["region"].choices = grouped_preset_choices(Region, parents_selectable=True)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{css} form-control-sm"

    def values(self) -> dict:
        return self.cleaned_data if self.is_valid() else {}


class AssignForm(ServiceForm):
    to = forms.ModelChoiceField(label=_("assign to"), queryset=User.objects.none())
    reason = forms.CharField(label=_("note"), max_length=300, required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = members


class ReturnForm(ServiceForm):
    reason = forms.CharField(
        label=_("reason"),
        max_length=300,
        required=False,  # the service says why one is needed, in its own words
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 300}),
    )


class PoolForm(ServiceForm):
    name = forms.CharField(label=_("name"), max_length=64)
    is_open = forms.BooleanField(
        label=_("open pool"), required=False, help_text=Pool._meta.get_field("is_open").help_text
    )
    auto_assign = forms.BooleanField(
        label=_("assign returned customers automatically"),
        required=False,
        help_text=Pool._meta.get_field("auto_assign").help_text,
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    departments = forms.ModelMultipleChoiceField(
        label=_("member departments"),
        queryset=Department.objects.all(),
        required=False,
        help_text=Pool._meta.get_field("departments").help_text,
    )
    members = forms.ModelMultipleChoiceField(
        label=_("other members"), queryset=_active_people(), required=False
    )
    administrators = forms.ModelMultipleChoiceField(
        label=_("pool administrators"), queryset=_active_people(), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, instance: Pool | None = None, **kwargs):
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "is_open": instance.is_open,
                    "auto_assign": instance.auto_assign,
                    "is_active": instance.is_active,
                    "departments": list(instance.departments.all()),
                    "members": list(instance.members.all()),
                    "administrators": list(instance.administrators.all()),
                    "version": instance.version,
                },
            )
        super().__init__(*args, **kwargs)

    def pool_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("name", "is_open", "auto_assign", "is_active")}


class PoolRuleForm(ServiceForm):
    status = forms.ChoiceField(label=_("customer status"), choices=Status.choices)
    days_without_follow_up = forms.IntegerField(label=_("days without follow-up"), min_value=1)
    notice_days = forms.IntegerField(label=_("notice days before return"), min_value=0, initial=3)
    max_held = forms.IntegerField(label=_("most held at once"), min_value=0, required=False)
    max_claims_per_day = forms.IntegerField(
        label=_("most claims a day"), min_value=0, required=False
    )
    cooldown_days = forms.IntegerField(label=_("cooldown days"), min_value=0, initial=0)


class AssignmentRuleForm(ServiceForm):
    name = forms.CharField(label=_("name"), max_length=64)
    scope = forms.ChoiceField(label=_("applies to"), choices=AssignmentScope.choices)
    pool = forms.ModelChoiceField(
        label=_("public pool"), queryset=Pool.objects.all(), required=False
    )
    department = forms.ModelChoiceField(
        label=_("team"), queryset=Department.objects.all(), required=False
    )
    members = forms.ModelMultipleChoiceField(
        label=_("members"), queryset=_active_people(), required=False
    )
    strategy = forms.ChoiceField(label=_("strategy"), choices=AssignmentStrategy.choices)
    regions = forms.ModelMultipleChoiceField(
        label=_("only regions"), queryset=Region.objects.all(), required=False
    )
    industries = forms.ModelMultipleChoiceField(
        label=_("only industries"), queryset=Industry.objects.all(), required=False
    )
    sort_order = forms.IntegerField(label=_("order"), min_value=0, initial=0)
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, instance: AssignmentRule | None = None, **kwargs):
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "scope": instance.scope,
                    "pool": instance.pool_id,
                    "department": instance.department_id,
                    "members": list(instance.members.all()),
                    "strategy": instance.strategy,
                    "regions": list(instance.regions.all()),
                    "industries": list(instance.industries.all()),
                    "sort_order": instance.sort_order,
                    "is_active": instance.is_active,
                    "version": instance.version,
                },
            )
        super().__init__(*args, **kwargs)

    def rule_data(self) -> dict:
        keys = ("name", "scope", "pool", "department", "strategy", "sort_order", "is_active")
        return {k: self.cleaned_data[k] for k in keys}
