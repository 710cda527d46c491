from django.contrib import admin

from kehu.audit.models import AuditEvent
from kehu.core.admin import AdministratorAccess


@admin.register(AuditEvent)
class AuditEventAdmin(AdministratorAccess, admin.ModelAdmin):
    """Read only: the audit trail is never edited by hand."""

    list_display = ("at", "actor", "action", "target_model", "target_id", "summary")
    list_filter = ("action",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
