"""Admin for the working-day calendar: holidays and make-up working days of years the calendar
library does not know yet (administrators only)."""

from django.contrib import admin

from kehu.core.admin import AdministratorAccess
from kehu.dataquality.models import WorkingDayOverride


@admin.register(WorkingDayOverride)
class WorkingDayOverrideAdmin(AdministratorAccess, admin.ModelAdmin):
    list_display = ["date", "is_working_day", "note"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"
    search_fields = ["note"]
    ordering = ["-date"]
