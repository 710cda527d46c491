"""Administrators configure pipeline stages and web-to-lead forms here; leads and
opportunities are worked on in the app (stale-edit refusal, recycle bin), so their admin
only shows them."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from kehu.core.admin import ReadOnlyAccess
from kehu.customers.sensitive import mobile_index, mobile_last4_index
from kehu.sales.models import Contract, Lead, Opportunity, Order, PipelineStage, WebToLeadForm


@admin.register(PipelineStage)
class PipelineStageAdmin(admin.ModelAdmin):
    list_display = (
        "name_zh",
        "name_en",
        "probability",
        "is_won",
        "is_lost",
        "sort_order",
        "is_active",
    )
    list_editable = ("probability", "sort_order", "is_active")
    ordering = ("sort_order", "id")


@admin.register(WebToLeadForm)
class WebToLeadFormAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "source", "is_active", "embed_url")
    readonly_fields = ("token", "embed_url")
    autocomplete_fields = ("owner",)

    @admin.display(description=_("address to embed"))
    def embed_url(self, obj):
        if not obj.pk:
            return "—"
        url = reverse("sales:web-to-lead", args=[obj.token])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)


@admin.register(Lead)
class LeadAdmin(ReadOnlyAccess, SimpleHistoryAdmin):
    list_display = ("name", "company", "status", "owner", "created_at")
    list_filter = ("status", "source")
    search_fields = ("name", "company")
    raw_id_fields = ("owner", "customer", "created_by", "converted_by", "web_form")
    exclude = ("mobile_hash", "mobile_last4_hash")

    def get_search_results(self, request, queryset, search_term):
        """Also by mobile (whole number or last 4), through the blind indexes."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = search_term.strip().replace(" ", "").replace("-", "")
        if digits.isdigit() and len(digits) == 4:
            found |= queryset.filter(mobile_last4_hash=mobile_last4_index(digits))
        elif digits.isdigit() and len(digits) == 11:
            found |= queryset.filter(mobile_hash=mobile_index(digits))
        return found, may_have_duplicates


@admin.register(Opportunity)
class OpportunityAdmin(ReadOnlyAccess, SimpleHistoryAdmin):
    list_display = ("name", "customer", "stage", "amount", "expected_close_date", "owner")
    list_filter = ("stage",)
    search_fields = ("name", "customer__name")
    raw_id_fields = ("customer", "owner", "lead", "created_by")


@admin.register(Contract)
class ContractAdmin(SimpleHistoryAdmin):
    list_display = ("number", "customer", "status", "amount", "currency", "ends_on", "owner")
    list_filter = ("status", "currency")
    search_fields = ("number", "title", "customer__name")
    raw_id_fields = ("customer", "opportunity", "owner", "renewal_of", "created_by")


@admin.register(Order)
class OrderAdmin(SimpleHistoryAdmin):
    list_display = ("number", "customer", "ordered_on", "amount", "currency", "status", "owner")
    list_filter = ("status",)
    search_fields = ("number", "customer__name")
    raw_id_fields = ("customer", "contract", "owner", "created_by")
