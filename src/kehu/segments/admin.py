from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kehu.segments.models import Segment


@admin.register(Segment)
class SegmentAdmin(SimpleHistoryAdmin):
    list_display = ("name", "owner", "updated_at")
    search_fields = ("name",)
    raw_id_fields = ("owner",)
    filter_horizontal = ("shared_departments", "shared_users")
