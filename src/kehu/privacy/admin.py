"""Administrators maintain the purpose notices here; consents and requests are worked on in
the app and only viewed here."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kehu.core.admin import AdministratorAccess
from kehu.privacy.models import PurposeNotice


@admin.register(PurposeNotice)
class PurposeNoticeAdmin(AdministratorAccess, SimpleHistoryAdmin):
    list_display = ("purpose", "version", "language", "is_active", "updated_at")
    list_filter = ("purpose", "language", "is_active")

    def get_readonly_fields(self, request, obj=None):
        # A notice people consented to is never rewritten: publish a new version instead.
        if obj is not None and obj.consents.exists():
            return ("purpose", "version", "language", "text")
        return ()
