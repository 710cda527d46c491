from django.contrib import admin

from kehu.pool.models import AssignmentRule, Pool, PoolEntry, PoolEvent, PoolRule


class PoolRuleInline(admin.TabularInline):
    model = PoolRule
    extra = 0


@admin.register(Pool)
class PoolAdmin(admin.ModelAdmin):
    list_display = ["name", "is_open", "auto_assign", "is_active"]
    filter_horizontal = ["departments", "members", "administrators"]
    inlines = [PoolRuleInline]
    readonly_fields = ["keeper", "version"]

    def has_add_permission(self, request) -> bool:
        return False  # a pool needs its keeper: created on the pool pages (pool_create)


@admin.register(PoolEntry)
class PoolEntryAdmin(admin.ModelAdmin):
    list_display = ["customer", "pool", "state", "returned_at", "previous_owner"]
    list_filter = ["pool", "state"]
    raw_id_fields = ["customer", "previous_owner"]
    # Entries change only through kehu.pool.services (claims lock and count).
    readonly_fields = [f.name for f in PoolEntry._meta.fields]


@admin.register(PoolEvent)
class PoolEventAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "customer", "pool", "actor", "from_user", "to_user"]
    list_filter = ["action", "pool"]
    readonly_fields = [f.name for f in PoolEvent._meta.fields]


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "scope", "strategy", "sort_order", "is_active", "last_assigned"]
    list_filter = ["scope", "strategy", "is_active"]
    filter_horizontal = ["members", "regions", "industries"]
    readonly_fields = ["last_assigned", "version"]
