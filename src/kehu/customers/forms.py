"""Forms collect and convert input; the services make the authoritative checks.

Errors raised by a service are mapped back onto the form fields (``map_service_errors``), so the
user sees each message next to the field it is about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache, partial
from html import escape
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.accounts.models import DataScope, Department, User
from kehu.accounts.selectors import (
    assignable_users,
    subordinate_ids,
    user_department_subtree_ids,
    user_rights,
)
from kehu.core import refcache
from kehu.customers.models import (
    Contact,
    Customer,
    CustomerType,
    CustomFieldDefinition,
    CustomFieldType,
    EnterpriseType,
    Industry,
    Region,
    Scale,
    ShareAccess,
    Source,
    Status,
)
from kehu.customers.sensitive import CUSTOM_PREFIX, is_hidden, mask_text
from kehu.customers.services import CUSTOMER_FIELDS, StaleEditError
from kehu.customers.validators import (
    check_customer_name,
    mask_mobile,
    normalize_mobile,
    validate_credit_code,
    validate_mobile,
)

BLANK = [("", "---------")]
DM_PREFIX = "dm_"  # key decision maker fields (services: "decision_maker.<field>")
CF_PREFIX = "cf_"  # custom fields (services: "custom_fields.<key>")
# The customer fields this form passes to the services (status only on create).
CUSTOMER_INPUTS = tuple(field for field in CUSTOMER_FIELDS if field != "status")


def save_through(form: forms.Form, write: Callable[[], object]) -> tuple[bool, bool]:
    """Run a service write for an edit form: (saved, stale). A refusal is put next to the
    form's fields (``form.map_service_errors``); stale means someone saved the record after the
    form was opened, so the page can offer the current version."""
    try:
        write()
    except StaleEditError as exc:
        form.map_service_errors(exc)
        form.stale_changes = exc.changes  # shown by includes/stale_changes.html
        return False, True
    except ValidationError as exc:
        form.map_service_errors(exc)
        return False, False
    return True, False


class FastSelect(forms.Select):
    """A single <select> whose options are written in Python, not one template render each.

    The list's filter form offers hundreds of options (owners, industries, regions): through
    Django's option templates they cost 20–25 ms of CPU per list page (issue 7).
    Same markup as forms.Select: attributes, optgroups, the selected value.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        selected = set(self.format_value(value))
        parts = [format_html('<select name="{}"{}>', name, flatatt(final_attrs))]
        for option_value, option_label in self.choices:
            if isinstance(option_label, list | tuple):
                parts.append(format_html('<optgroup label="{}">', option_value))
                parts.extend(self._option(v, label, selected) for v, label in option_label)
                parts.append("</optgroup>")
            else:
                parts.append(self._option(option_value, option_label, selected))
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every value and label escaped)

    @staticmethod
    def _option(value, label, selected: set[str]) -> str:
        value = "" if value is None else str(value)
        chosen = " selected" if value in selected else ""
        return f'<option value="{escape(value)}"{chosen}>{escape(str(label))}</option>'


class BootstrapForm(forms.Form):
    """Bootstrap classes on every widget, and ``is-invalid`` on fields that carry an error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def fields_with_errors(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name in self.errors]

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def grouped_preset_choices(model, *, parents_selectable: bool, keep: int | None = None) -> list:
    """Two-level presets as <optgroup>s (制造业 → 汽车零部件), in one query.

    A parent without children is an option of its own. `parents_selectable` adds the parent
    at the top of its group (filters: "all of 制造业"); forms want the specific child.
    `keep` is a record's current value, offered even if an administrator retired it since.
    Cached per process and language (core.refcache) until a preset is saved.
    """
    return refcache.cached(
        ("presets", model._meta.label, parents_selectable, keep),
        partial(_grouped_preset_choices, model, parents_selectable=parents_selectable, keep=keep),
        per_language=True,
    )


def _grouped_preset_choices(model, *, parents_selectable: bool, keep: int | None) -> list:
    rows = list(_presets(model, keep).order_by("sort_order", "id"))
    children: dict[int, list] = {}
    for row in rows:
        if row.parent_id is not None:
            children.setdefault(row.parent_id, []).append(row)
    choices: list = list(BLANK)
    for row in rows:
        if row.parent_id is not None:
            continue
        kids = children.get(row.pk)
        if not kids:
            choices.append((row.pk, row.label))
            continue
        group = [(kid.pk, kid.label) for kid in kids]
        if parents_selectable:
            group.insert(0, (row.pk, _("All of %(name)s") % {"name": row.label}))
        choices.append((row.label, group))
    return choices


def _presets(model, keep: int | None):
    active = Q(is_active=True)
    return model.objects.filter(active | Q(pk=keep) if keep else active)


class PresetChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose options are the grouped presets built above."""

    def __init__(self, model, *, keep: int | None = None, **kwargs):
        super().__init__(queryset=_presets(model, keep), **kwargs)
        self.choices = grouped_preset_choices(model, parents_selectable=False, keep=keep)


def date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def mobile_widget() -> forms.TextInput:
    return forms.TextInput(
        attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off", "maxlength": "20"}
    )


def custom_form_field(definition: CustomFieldDefinition) -> forms.Field:
    """One form field per custom field; bounds and options are checked again by the service."""
    common: dict[str, Any] = {"label": definition.label, "required": definition.required}
    kind = definition.field_type
    if kind == CustomFieldType.NUMBER:
        return forms.DecimalField(**common)
    if kind == CustomFieldType.DATE:
        return forms.DateField(widget=date_widget(), **common)
    if kind == CustomFieldType.CHOICE:
        return forms.ChoiceField(choices=BLANK + [(o, o) for o in definition.choices], **common)
    return forms.CharField(max_length=definition.max_length or 500, **common)


class CustomerForm(BootstrapForm):
    """Create or edit a customer with its key decision maker and custom fields.

    The key decision maker's mobile is shown masked on edit (opening a form is not a way
    around unmasking); leaving the masked value untouched keeps the stored number.
    """

    # Basic information
    customer_type = forms.ChoiceField(label=_("customer type"), choices=CustomerType.choices)
    name = forms.CharField(
        label=_("customer name"),
        max_length=128,
        help_text=_("Full legal name as on the business licence; a person's name for individuals."),
    )
    credit_code = forms.CharField(
        label=_("unified social credit code"), max_length=18, required=False
    )
    status = forms.ChoiceField(label=_("status"), choices=Status.choices)
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none())
    first_contact_date = forms.DateField(label=_("first contact date"), widget=date_widget())
    source = forms.ChoiceField(label=_("source"), choices=BLANK + Source.choices)
    # Classification
    industry = forms.ModelChoiceField(
        label=_("industry"), queryset=Industry.objects.none(), required=False
    )
    scale = forms.ChoiceField(label=_("scale"), choices=BLANK + Scale.choices)
    enterprise_type = forms.ChoiceField(
        label=_("enterprise type"), choices=BLANK + EnterpriseType.choices, required=False
    )
    annual_budget = forms.DecimalField(
        label=_("annual budget (CNY)"), max_digits=14, decimal_places=2, required=False
    )
    # Address
    region = forms.ModelChoiceField(
        label=_("province / region"), queryset=Region.objects.none(), required=False
    )
    city = forms.CharField(label=_("city"), max_length=32, required=False)
    district = forms.CharField(label=_("district"), max_length=32, required=False)
    street = forms.CharField(label=_("street address"), max_length=128, required=False)
    # Key decision maker
    dm_name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=64)
    dm_title = forms.CharField(label=pgettext_lazy("job", "title"), max_length=64, required=False)
    dm_mobile = forms.CharField(label=_("mobile"), max_length=20, widget=mobile_widget())
    dm_email = forms.EmailField(label=_("email"), required=False)
    # Remarks
    remarks = forms.CharField(
        label=_("remarks"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Codes of the probable duplicates the user was warned about and chose to save anyway.
    confirmed_duplicates = forms.CharField(widget=forms.HiddenInput, required=False)

    SECTIONS = [
        (
            _("Basic information"),
            ["customer_type", "name", "credit_code", "status", "owner", "first_contact_date"],
        ),
        (_("Classification"), ["industry", "scale", "source", "enterprise_type", "annual_budget"]),
        (_("Address"), ["region", "city", "district", "street"]),
        (_("Key decision maker"), ["dm_name", "dm_title", "dm_mobile", "dm_email"]),
    ]

    def __init__(self, *args, user: User, instance: Customer | None = None, **kwargs):
        self.user = user
        self.instance = instance
        self.decision_maker: Contact | None = instance.decision_maker if instance else None
        self.masked_mobile = mask_mobile(self.decision_maker.mobile) if self.decision_maker else ""
        # Sensitive custom fields hidden from the user's roles are left out (their stored
        # values stay); the others are shown masked on edit, like the mobile.
        self.custom_definitions = [
            d
            for d in CustomFieldDefinition.objects.filter(is_active=True)
            if not (d.sensitive and is_hidden(user, CUSTOM_PREFIX + d.key))
        ]
        self.masked_custom = (
            {
                d.key: mask_text(instance.custom_fields.get(d.key))
                for d in self.custom_definitions
                if d.sensitive and instance.custom_fields.get(d.key) not in (None, "")
            }
            if instance is not None
            else {}
        )
        if "initial" not in kwargs:
            kwargs["initial"] = (
                self.initial_for(instance)
                if instance is not None
                else {
                    "owner": user.pk,
                    "status": Status.PROSPECT,
                    "first_contact_date": timezone.localdate(),
                }
            )
        super().__init__(*args, **kwargs)
        owners = assignable_users(user)
        if instance is not None:
            # Whoever may edit keeps the current owner even when they could not assign them.
            owners = owners | User.objects.filter(pk=instance.owner_id)
            del self.fields["status"]
        else:
            del self.fields["version"]
        self.fields["owner"].queryset = owners.order_by("id")
        # The class-level industry and region fields fix the order; their grouped options are
        # built here, per request (labels follow the language, administrators edit presets).
        industry = PresetChoiceField(
            Industry, label=_("industry"), required=False, keep=instance and instance.industry_id
        )
        region = PresetChoiceField(
            Region,
            label=_("province / region"),
            required=False,
            keep=instance and instance.region_id,
        )
        for name, field in (("industry", industry), ("region", region)):
            field.widget.attrs = self.fields[name].widget.attrs
            self.fields[name] = field
        for definition in self.custom_definitions:
            field = custom_form_field(definition)
            if definition.key in self.masked_custom:
                # The service checks the type of a new value; the masked one means "keep".
                field = forms.CharField(
                    label=field.label,
                    required=definition.required,
                    help_text=_(
                        "Shown masked. Leave it as it is to keep the value, or type a new one."
                    ),
                )
            self.fields[CF_PREFIX + definition.key] = field
            css = "form-select" if definition.field_type == CustomFieldType.CHOICE else ""
            self.fields[CF_PREFIX + definition.key].widget.attrs["class"] = css or "form-control"
        if instance is not None and self.decision_maker is not None:
            self.fields["dm_mobile"].help_text = _(
                "Shown masked. Leave it as it is to keep the number, or type a new one."
            )

    def initial_for(self, customer: Customer) -> dict[str, Any]:
        initial = {
            "customer_type": customer.customer_type,
            "name": customer.name,
            "credit_code": customer.credit_code or "",
            "owner": customer.owner_id,
            "first_contact_date": customer.first_contact_date,
            "source": customer.source,
            "industry": customer.industry_id,
            "scale": customer.scale,
            "enterprise_type": customer.enterprise_type,
            "annual_budget": customer.annual_budget,
            "region": customer.region_id,
            "city": customer.city,
            "district": customer.district,
            "street": customer.street,
            "remarks": customer.remarks,
            "version": customer.version,
        }
        dm = self.decision_maker
        if dm is not None:
            initial.update(
                dm_name=dm.name, dm_title=dm.title, dm_mobile=self.masked_mobile, dm_email=dm.email
            )
        for key, value in customer.custom_fields.items():
            initial[CF_PREFIX + key] = self.masked_custom.get(key, value)
        return initial

    @property
    def is_edit(self) -> bool:
        return self.instance is not None

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        result = [
            (title, [self[name] for name in names if name in self.fields])
            for title, names in self.SECTIONS
        ]
        if self.custom_definitions:
            result.append(
                (
                    _("Custom fields"),
                    [self[CF_PREFIX + d.key] for d in self.custom_definitions],
                )
            )
        return result

    def clean(self):
        """Run the service's cheap field rules here too, so that every error shows at once
        (the service checks them again when it saves)."""
        cleaned = super().clean()
        name, customer_type = cleaned.get("name"), cleaned.get("customer_type")
        if name and customer_type:
            try:
                check_customer_name(name, customer_type)
            except ValidationError as exc:
                self.map_service_errors(exc)
        return cleaned

    def clean_credit_code(self) -> str:
        value = self.cleaned_data["credit_code"].strip().upper()
        validate_credit_code(value)
        return value

    def clean_dm_mobile(self) -> str | None:
        """None means "unchanged" (the masked value was left as it was)."""
        value = self.cleaned_data["dm_mobile"].strip()
        if self.masked_mobile and value == self.masked_mobile:
            return None
        validate_mobile(normalize_mobile(value))
        return value

    # --- what the services receive -------------------------------------------------------
    def customer_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        result = {name: data.get(name) for name in CUSTOMER_INPUTS}
        result["credit_code"] = result["credit_code"] or None
        if not self.is_edit:
            result["status"] = data["status"]
        return result

    def decision_maker_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        result = {
            "name": data["dm_name"],
            "title": data.get("dm_title", ""),
            "email": data.get("dm_email", ""),
        }
        if data.get("dm_mobile") is not None:
            result["mobile"] = data["dm_mobile"]
        return result

    def duplicate_check_input(self) -> dict[str, str]:
        return duplicate_check_input(self.cleaned_data)

    def confirmed_duplicate_codes(self) -> set[str]:
        return set(filter(None, self.cleaned_data.get("confirmed_duplicates", "").split(",")))

    def ask_to_confirm(self, codes: list[str]) -> None:
        """Re-render with the warned-about codes, so "save anyway" confirms exactly these."""
        self.data = self.data.copy()
        self.data["confirmed_duplicates"] = ",".join(codes)

    def custom_field_data(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for definition in self.custom_definitions:
            value = self.cleaned_data.get(CF_PREFIX + definition.key)
            if definition.key in self.masked_custom and value == self.masked_custom[definition.key]:
                continue  # unchanged: the stored value stays
            if value in (None, ""):
                values[definition.key] = None
            elif definition.field_type == CustomFieldType.NUMBER:
                values[definition.key] = str(value)
            else:
                values[definition.key] = value
        return values

    def map_service_errors(self, exc: ValidationError) -> None:
        """Put each service error next to its field: ``decision_maker.mobile`` → ``dm_mobile``,
        ``custom_fields.x`` → ``cf_x``, ``version`` and unknown keys → the top of the form."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for key, messages in exc.message_dict.items():
            if key.startswith("decision_maker."):
                name = DM_PREFIX + key.removeprefix("decision_maker.")
            elif key.startswith("custom_fields."):
                name = CF_PREFIX + key.removeprefix("custom_fields.")
            else:
                name = key
            if name in self.fields and name != "version":
                self.add_error(name, messages)
            else:
                self.add_error(None, messages)


# What the duplicate warning (kehu.dataquality.entry_check) compares, by its argument names,
# from the new-customer form's fields; the address is the three address fields joined.
_DUPLICATE_CHECK_FIELDS = {
    "name": "name",
    "credit_code": "credit_code",
    "contact_name": "dm_name",
    "mobile": "dm_mobile",
}
_ADDRESS_FIELDS = ("city", "district", "street")


def duplicate_check_input(values: Mapping[str, Any]) -> dict[str, str]:
    """The duplicate check's input from the form's values: its cleaned data on save, or the raw
    POST of a half-filled form for the live check (stripped and cut to the fields' lengths)."""

    def value(field: str) -> str:
        text = str(values.get(field) or "").strip()
        return text[: CustomerForm.base_fields[field].max_length]

    entry = {argument: value(field) for argument, field in _DUPLICATE_CHECK_FIELDS.items()}
    entry["address"] = "".join(value(field) for field in _ADDRESS_FIELDS)
    return entry


class ContactForm(BootstrapForm):
    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=64)
    title = forms.CharField(label=pgettext_lazy("job", "title"), max_length=64, required=False)
    mobile = forms.CharField(
        label=_("mobile"), max_length=20, required=False, widget=mobile_widget()
    )
    email = forms.EmailField(label=_("email"), required=False)
    phone = forms.CharField(label=_("landline"), max_length=32, required=False)
    remarks = forms.CharField(
        label=_("remarks"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, instance: Contact | None = None, **kwargs):
        self.instance = instance
        self.masked_mobile = mask_mobile(instance.mobile) if instance else ""
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "title": instance.title,
                "mobile": self.masked_mobile,
                "email": instance.email,
                "phone": instance.phone,
                "remarks": instance.remarks,
                "version": instance.version,
            }
        super().__init__(*args, **kwargs)
        if instance is None:
            del self.fields["version"]
        elif instance.mobile:
            self.fields["mobile"].help_text = _(
                "Shown masked. Leave it as it is to keep the number, or type a new one."
            )

    def clean_mobile(self) -> str | None:
        value = self.cleaned_data["mobile"].strip()
        if self.masked_mobile and value == self.masked_mobile:
            return None
        return value

    def contact_data(self) -> dict[str, Any]:
        fields = ("name", "title", "email", "phone", "remarks")
        data = {k: self.cleaned_data.get(k, "") for k in fields}
        if self.cleaned_data.get("mobile") is not None:
            data["mobile"] = self.cleaned_data["mobile"]
        return data

    def map_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for key, messages in exc.message_dict.items():
            self.add_error(key if key in self.fields and key != "version" else None, messages)


class TeamMemberForm(BootstrapForm):
    user = forms.ModelChoiceField(
        label=_("colleague"), queryset=User.objects.none(), empty_label=_("Choose a colleague…")
    )
    access = forms.ChoiceField(label=_("access"), choices=ShareAccess.choices)

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            User.objects.filter(is_active=True)
            .exclude(pk=customer.owner_id)
            .select_related("department")
            .order_by("department_id", "id")
        )
        self.fields["user"].label_from_instance = _colleague_label
        # ~400 colleagues at scale: options from one narrow query, written in Python, read only
        # when the form is rendered (issue 7); validation still goes through the queryset.
        # cache: the widget reads its choices twice (the required attribute, then the options).
        self.fields["user"].widget = FastSelect(
            choices=cache(
                partial(
                    _colleague_choices,
                    self.fields["user"].queryset,
                    str(self.fields["user"].empty_label),
                )
            )
        )
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"


def _colleague_label(user: User) -> str:
    return f"{user.display_name} · {user.department}" if user.department_id else user.display_name


def _colleague_choices(users, empty_label: str) -> list:
    rows = users.values_list(
        "id", "full_name", "first_name", "last_name", "username", "department__name"
    )
    choices: list = [("", empty_label)]
    for pk, full_name, first_name, last_name, username, department in rows:
        name = full_name or f"{first_name} {last_name}".strip() or username
        choices.append((pk, f"{name} · {department}" if department else name))
    return choices


# --- the list's filter panel (fields come from customers.filters.CustomerFilter) -------------
# Filters behind "more filters"; search and status are always shown.
FILTER_MORE_FIELDS = (
    "customer_type",
    "industry",
    "scale",
    "source",
    "enterprise_type",
    "region",
    "owner",
    "department",
    "budget_min",
    "budget_max",
)


INDENT = "\u3000"  # an ideographic space per tree level


def department_choices() -> list:
    """Departments in tree order, indented by depth (one query, cached: core.refcache)."""
    return refcache.cached(("departments",), _department_choices)


def _department_choices() -> list:
    rows = list(
        Department.objects.order_by("sort_order", "id").values_list("id", "name", "parent_id")
    )
    children: dict[int | None, list] = {}
    for row in rows:
        children.setdefault(row[2], []).append(row)
    choices: list = list(BLANK)
    stack = [(row, 0) for row in reversed(children.get(None, []))]
    seen: set[int] = set()
    while stack:
        (pk, name, _parent), depth = stack.pop()
        if pk in seen:
            continue
        seen.add(pk)
        choices.append((pk, INDENT * depth + name))
        stack.extend((child, depth + 1) for child in reversed(children.get(pk, [])))
    return choices


def owner_choices(viewer: User, *, keep: str | None = None) -> list:
    """Owners the list may be filtered by, for `viewer`: everyone for a company-wide reader,
    else the users whose customers the viewer can see by rule (themselves, their reporting
    line, their department tree), not the whole company's ~400 names (issue 7). Customers
    shared with the viewer by others stay in the list; the API still accepts any owner.
    `keep` is the owner chosen in the request, offered even when outside these. Cached per
    viewer, read scope and `keep` until a user or department is saved (core.refcache)."""
    rights = user_rights(viewer)
    keep = keep if keep and keep.isdigit() else None
    return refcache.cached(
        ("owners", viewer.pk, rights.read_scope, viewer.department_id, keep),
        partial(_owner_choices, viewer, rights.read_scope, keep),
    )


def _owner_choices(viewer: User, read_scope: str, keep: str | None) -> list:
    users = User.objects.filter(is_active=True)
    if read_scope != DataScope.COMPANY:
        mine = Q(pk=viewer.pk) | Q(pk__in=sorted(subordinate_ids(viewer)))
        if keep:
            mine |= Q(pk=int(keep))
        if read_scope == DataScope.DEPARTMENT and viewer.department_id:
            mine |= Q(department_id__in=sorted(user_department_subtree_ids(viewer)))
        users = users.filter(mine)
    rows = users.order_by("id").values_list(
        "id", "full_name", "first_name", "last_name", "username"
    )
    choices: list = list(BLANK)
    for pk, full_name, first_name, last_name, username in rows:
        label = full_name or f"{first_name} {last_name}".strip() or username
        choices.append((pk, label))
    return choices


def prepare_filter_form(form: forms.Form, *, viewer: User | None = None) -> forms.Form:
    """Grouped presets, readable owners and Bootstrap classes for CustomerFilter's form."""
    # django-filter's choice fields wrap assigned choices in their own iterator; the options
    # shown are the widget's, and validation still goes through each field's queryset.
    form.fields["industry"].widget.choices = grouped_preset_choices(
        Industry, parents_selectable=True
    )
    form.fields["region"].widget.choices = grouped_preset_choices(Region, parents_selectable=True)
    form.fields["department"].widget.choices = department_choices()
    if viewer is not None:
        form.fields["owner"].widget.choices = owner_choices(
            viewer, keep=str(form["owner"].value() or "")
        )
    else:
        form.fields["owner"].queryset = form.fields["owner"].queryset.order_by("id")
        form.fields["owner"].label_from_instance = _user_label
    for name in ("budget_min", "budget_max"):
        form.fields[name].widget.attrs.update(min="0", step="10000", inputmode="numeric")
    for field in form.fields.values():
        if type(field.widget) is forms.Select:
            field.widget = FastSelect(attrs=field.widget.attrs, choices=list(field.widget.choices))
        css = (
            "form-select form-select-sm"
            if isinstance(field.widget, forms.Select)
            else ("form-control form-control-sm")
        )
        field.widget.attrs["class"] = css
    form.fields["q"].widget.attrs.update(
        type="search",
        placeholder=_("Name, pinyin, code, contact, mobile last 4"),
        title=form.fields["q"].help_text,
        autocomplete="off",
    )
    return form


def _user_label(user: User) -> str:
    return user.display_name


# --- status changes and approvals (customers.approvals) -------------------------------------
class ServiceForm(BootstrapForm):
    """A form whose service errors land on the field they name, the rest at the top."""

    def map_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for key, messages in exc.message_dict.items():
            self.add_error(key if key in self.fields else None, messages)


class StatusChangeForm(ServiceForm):
    # Not required here: the service says why a reason is needed, in its own words.
    to_status = forms.ChoiceField(label=_("new status"), choices=Status.choices)
    reason = forms.CharField(
        label=_("reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        help_text=_("Goes into the remarks with today's date."),
    )

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [
            (value, label) for value, label in Status.choices if value != customer.status
        ]


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("note"), required=False, max_length=500)
