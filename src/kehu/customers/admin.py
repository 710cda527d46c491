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
    Industry,
    Region,
    UnmaskLog,
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

    list_display = ("key", "label_zh", "label_en", "field_type", "required", "is_active")
    list_filter = ("field_type", "required", "is_active")
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
        "is_active",
    )

    def get_readonly_fields(self, request, obj=None):
        # Stored values are keyed and typed by these; changing them would orphan the data.
        return ("key", "field_type") if obj is not None else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # values stay in customers' records; deactivate the field instead


# --- customers and contacts: read-only, with history ------------------------------------------
class MaskedMobileHistory(HistoricalRecordContextHelper):
    """History in the admin must not reveal what the customer page masks."""

    def prepare_delta_change_value(self, change, value):
        if change.field == "mobile":
            return mask_mobile(value or "")
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
        (_("More"), {"fields": ("custom_fields", "remarks", "created_at", "updated_at")}),
    )
    readonly_fields = ("code", "created_at", "updated_at")

    def get_queryset(self, request):
        queryset = visible_customers(request.user)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset


@admin.register(Contact)
class ContactAdmin(ReadOnlyHistoryAdmin):
    list_display = ("name", "customer", "title", "masked_mobile", "is_decision_maker")
    list_filter = ("is_decision_maker",)
    search_fields = ("name", "customer__name", "customer__code", "mobile_last4")
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
