"""Administrators configure pipeline stages and web-to-lead forms here; leads and
opportunities are worked on in the app, so their admin is read-mostly."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from kehu.sales.models import Lead, Opportunity, PipelineStage, WebToLeadForm


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
class LeadAdmin(SimpleHistoryAdmin):
    list_display = ("name", "company", "status", "owner", "created_at")
    list_filter = ("status", "source")
    search_fields = ("name", "company", "mobile")
    raw_id_fields = ("owner", "customer", "created_by", "converted_by", "web_form")


@admin.register(Opportunity)
class OpportunityAdmin(SimpleHistoryAdmin):
    list_display = ("name", "customer", "stage", "amount", "expected_close_date", "owner")
    list_filter = ("stage",)
    search_fields = ("name", "customer__name")
    raw_id_fields = ("customer", "owner", "lead", "created_by")
