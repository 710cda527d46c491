"""Admin for customer configuration: presets (industries, regions), custom fields.

Customers, contacts and the unmask log are shown read-only: every write goes through
customers.services (validation, history, codes), which the admin would bypass. Mobile numbers
stay masked here too; revealing one is done on the customer page, where it is logged.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from kehu.core.access import customer_scope_q, visible_contacts, visible_customers
from kehu.core.admin import AdministratorAccess, ReadOnlyAccess
from kehu.customers.models import (
    Contact,
    Customer,
    CustomerShare,
    CustomFieldDefinition,
    FieldSecurity,
    Industry,
    Region,
    UnmaskLog,
)
from kehu.customers.sensitive import (
    mask_text,
    mobile_index,
    mobile_last4_index,
    sensitive_custom_keys,
    sensitive_field_choices,
)
from kehu.customers.validators import mask_mobile


# --- presets: two levels, editable ------------------------------------------------------------
class TwoLevelPresetForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = self._meta.model.objects.filter(parent__isnull=True)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents

    def clean_parent(self):
        parent = self.cleaned_data["parent"]
        if parent is not None and self.instance.pk and self.instance.children.exists():
            raise forms.ValidationError(
                _("This entry has entries below it; the list has two levels only.")
            )
        return parent


class TwoLevelPresetAdmin(AdministratorAccess, admin.ModelAdmin):
    form = TwoLevelPresetForm
    list_display = ("tree_label", "code", "name_zh", "name_en", "sort_order", "is_active")
    list_editable = ("sort_order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name_zh", "name_en")
    fields = ("parent", "code", "name_zh", "name_en", "sort_order", "is_active")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent")

    def get_ordering(self, request):
        # Each top-level entry followed by its children.
        return (
            Coalesce("parent__sort_order", "sort_order").asc(),
            Coalesce("parent_id", "id").asc(),
            F("parent_id").asc(nulls_first=True),
            "sort_order",
            "id",
        )

    @admin.display(description=_("name"))
    def tree_label(self, obj) -> str:
        if obj.parent_id is None:
            return format_html("<strong>{}</strong>", obj.name_zh)
        return format_html('<span style="padding-left: 1.5em">{}</span>', obj.name_zh)


@admin.register(Industry)
class IndustryAdmin(TwoLevelPresetAdmin):
    pass


@admin.register(Region)
class RegionAdmin(TwoLevelPresetAdmin):
    pass


# --- custom fields ----------------------------------------------------------------------------
@admin.register(CustomFieldDefinition)
class CustomFieldDefinitionAdmin(AdministratorAccess, admin.ModelAdmin):
    """The model's clean() checks each definition (ModelForm runs it)."""

    list_display = (
        "key",
        "label_zh",
        "label_en",
        "field_type",
        "required",
        "sensitive",
        "is_active",
    )
    list_filter = ("field_type", "required", "sensitive", "is_active")
    fields = (
        "key",
        "label_zh",
        "label_en",
        "field_type",
        "required",
        "choices",
        "max_length",
        "min_value",
        "max_value",
        "sort_order",
        "sensitive",
        "is_active",
    )

    def get_readonly_fields(self, request, obj=None):
        # Stored values are keyed and typed by these; changing them would orphan the data.
        return ("key", "field_type") if obj is not None else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # values stay in customers' records; deactivate the field instead


# --- field security ---------------------------------------------------------------------------
class FieldSecurityForm(forms.ModelForm):
    """The field is picked from the sensitive fields that exist (custom ones included)."""

    class Meta:
        model = FieldSecurity
        fields = ("role", "field", "level")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"] = forms.ChoiceField(
            label=FieldSecurity._meta.get_field("field").verbose_name,
            choices=sensitive_field_choices(),
        )


@admin.register(FieldSecurity)
class FieldSecurityAdmin(AdministratorAccess, admin.ModelAdmin):
    """Per role and sensitive field: hidden, masked or visible (after a logged unmask)."""

    form = FieldSecurityForm
    list_display = ("role", "field", "level", "updated_at")
    list_editable = ("level",)
    list_filter = ("role", "field", "level")
    list_select_related = ("role",)


# --- customers and contacts: read-only, with history ------------------------------------------
class MaskedMobileHistory(HistoricalRecordContextHelper):
    """History in the admin must not reveal what the customer page masks."""

    def prepare_delta_change_value(self, change, value):
        if change.field == "mobile":
            return mask_mobile(value or "")
        if change.field == "custom_fields" and isinstance(value, dict):
            keys = sensitive_custom_keys()
            value = {k: mask_text(v) if k in keys else v for k, v in value.items()}
        return super().prepare_delta_change_value(change, value)


class ReadOnlyHistoryAdmin(ReadOnlyAccess, SimpleHistoryAdmin):
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # SimpleHistoryAdmin saves ("reverts") on POST with view permission alone.
        if request.method != "GET":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_historical_record_context_helper(self, request, historical_record):
        return MaskedMobileHistory(self.model, historical_record)


class ContactInline(ReadOnlyAccess, admin.TabularInline):
    model = Contact
    fields = ("name", "title", "masked_mobile", "email", "phone", "is_decision_maker")
    readonly_fields = fields
    extra = 0
    show_change_link = True

    @admin.display(description=_("mobile"))
    def masked_mobile(self, obj: Contact) -> str:
        return mask_mobile(obj.mobile)


class ShareInline(ReadOnlyAccess, admin.TabularInline):
    model = CustomerShare
    fields = ("user", "access", "created_at")
    readonly_fields = fields
    extra = 0


@admin.register(Customer)
class CustomerAdmin(ReadOnlyHistoryAdmin):
    list_display = (
        "code",
        "name",
        "status",
        "owner",
        "department",
        "industry",
        "region",
        "updated_at",
    )
    list_filter = ("status", "customer_type", "scale", "source", "enterprise_type")
    search_fields = ("code", "name", "name_initials", "credit_code")
    list_select_related = ("owner", "department", "industry__parent", "region__parent")
    inlines = (ContactInline, ShareInline)
    fieldsets = (
        (None, {"fields": ("code", "customer_type", "name", "credit_code", "status")}),
        (
            _("Classification"),
            {"fields": ("industry", "scale", "enterprise_type", "source", "annual_budget")},
        ),
        (_("Address"), {"fields": ("region", "city", "district", "street")}),
        (
            _("Responsibility"),
            {"fields": ("owner", "department", "first_contact_date", "created_by")},
        ),
        (_("More"), {"fields": ("masked_custom_fields", "remarks", "created_at", "updated_at")}),
    )
    readonly_fields = ("code", "masked_custom_fields", "created_at", "updated_at")

    @admin.display(description=_("custom fields"))
    def masked_custom_fields(self, obj: Customer) -> str:
        """Values of sensitive custom fields masked, as on the customer page."""
        keys = sensitive_custom_keys()
        return str({k: mask_text(v) if k in keys else v for k, v in obj.custom_fields.items()})

    def get_queryset(self, request):
        queryset = visible_customers(request.user)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset


@admin.register(Contact)
class ContactAdmin(ReadOnlyHistoryAdmin):
    list_display = ("name", "customer", "title", "masked_mobile", "is_decision_maker")
    list_filter = ("is_decision_maker",)
    search_fields = ("name", "customer__name", "customer__code")
    list_select_related = ("customer",)
    fields = (
        "customer",
        "name",
        "title",
        "masked_mobile",
        "email",
        "phone",
        "is_decision_maker",
        "remarks",
    )
    readonly_fields = ("masked_mobile",)

    def get_queryset(self, request):
        return visible_contacts(request.user).order_by("customer_id", "-is_decision_maker", "id")

    def get_search_results(self, request, queryset, search_term):
        """Also by mobile: all 11 digits or the last 4, through the blind indexes (the
        numbers themselves are encrypted)."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = search_term.strip().replace(" ", "").replace("-", "")
        if digits.isdigit() and len(digits) == 4:
            found |= queryset.filter(mobile_last4_hash=mobile_last4_index(digits))
        elif digits.isdigit() and len(digits) == 11:
            found |= queryset.filter(mobile_hash=mobile_index(digits))
        return found, may_have_duplicates

    @admin.display(description=_("mobile"))
    def masked_mobile(self, obj: Contact) -> str:
        return mask_mobile(obj.mobile)


@admin.register(UnmaskLog)
class UnmaskLogAdmin(ReadOnlyAccess, admin.ModelAdmin):
    list_display = ("at", "user", "customer", "contact", "field", "ip_address")
    list_filter = ("field",)
    search_fields = ("user__username", "user__full_name", "customer__name", "customer__code")
    date_hierarchy = "at"
    list_select_related = ("user", "customer", "contact")

    def get_queryset(self, request):
        return UnmaskLog.objects.filter(customer_scope_q(request.user, prefix="customer__"))
