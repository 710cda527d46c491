"""Admin for sign-in security: the sign-in log (read only), and authenticators, which an
administrator may delete when a user lost both phone and recovery codes (the user sets up a
new one at the next sign-in)."""

from django.contrib import admin

from kehu.accounts.security.models import AccessEvent, TOTPDevice
from kehu.core.admin import AdministratorAccess, ReadOnlyAccess


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAccess, admin.ModelAdmin):
    list_display = ("at", "username", "user", "ip", "outcome", "channel")
    list_filter = ("outcome", "channel")
    search_fields = ("username", "ip")
    date_hierarchy = "at"


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(AdministratorAccess, admin.ModelAdmin):
    list_display = ("user", "confirmed_at", "created_at")
    search_fields = ("user__username", "user__full_name")
    # The secret is never shown or edited here; the only change is deleting the device.
    fields = ("user", "confirmed_at", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
