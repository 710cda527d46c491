"""Admin for the organisation: departments (a tree), users and roles."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.db.models import Case, Count, IntegerField, Value, When
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Department, Role, RoleCode, User
from kehu.accounts.selectors import department_subtree_ids, subordinate_ids
from kehu.core.admin import AdministratorAccess

# Kehu's roles replace Django's groups and per-model permissions.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


def department_tree() -> list[tuple[int, int, str]]:
    """(id, depth, path) of every department, parents before their children."""
    rows = list(Department.objects.values_list("id", "parent_id", "name", "sort_order"))
    children: dict[int | None, list[tuple]] = {}
    for row in rows:
        children.setdefault(row[1], []).append(row)
    ordered: list[tuple[int, int, str]] = []
    seen: set[int] = set()

    def walk(parent_id: int | None, depth: int, path: str) -> None:
        for pk, _parent, name, _order in sorted(children.get(parent_id, []), key=lambda r: r[3]):
            if pk in seen:
                continue
            seen.add(pk)
            full = f"{path} / {name}" if path else name
            ordered.append((pk, depth, full))
            walk(pk, depth + 1, full)

    walk(None, 0, "")
    return ordered


def _position(tree: list[tuple[int, int, str]]):
    """An ORDER BY expression putting departments in tree order."""
    return Case(
        *[When(pk=pk, then=Value(i)) for i, (pk, _depth, _path) in enumerate(tree)],
        default=Value(len(tree)),
        output_field=IntegerField(),
    )


def _depth(tree: list[tuple[int, int, str]]):
    return Case(
        *[When(pk=pk, then=Value(depth)) for pk, depth, _path in tree],
        default=Value(0),
        output_field=IntegerField(),
    )


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ("name", "parent", "head", "sort_order")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tree = department_tree()
        paths = {pk: path for pk, _depth, path in tree}
        parent = self.fields["parent"]
        parent.queryset = Department.objects.order_by(_position(tree))
        parent.label_from_instance = lambda d: paths.get(d.pk, d.name)

    def clean_parent(self):
        parent = self.cleaned_data["parent"]
        if (
            parent is not None
            and self.instance.pk
            and parent.pk in department_subtree_ids(self.instance.pk)
        ):
            raise forms.ValidationError(
                _("A department cannot be placed under itself or one of its sub-departments.")
            )
        return parent


@admin.register(Department)
class DepartmentAdmin(AdministratorAccess, admin.ModelAdmin):
    form = DepartmentForm
    list_display = ("tree_name", "head", "member_count", "sort_order")
    search_fields = ("name",)
    autocomplete_fields = ("head",)

    def get_queryset(self, request):
        tree = department_tree()
        return (
            super()
            .get_queryset(request)
            .select_related("head")
            .annotate(member_count=Count("members"), tree_depth=_depth(tree))
        )

    def get_ordering(self, request):
        # Also orders department choices in other admins (filters, drop-downs).
        return (_position(department_tree()),)

    @admin.display(description=_("department"))
    def tree_name(self, obj: Department) -> str:
        return format_html(
            '<span style="padding-left: {}em">{}</span>', 1.5 * obj.tree_depth, obj.name
        )

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj: Department) -> int:
        return obj.member_count


class KehuUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User

    def clean_superior(self):
        superior = self.cleaned_data.get("superior")
        user = self.instance
        if (
            superior is not None
            and user.pk
            and (superior.pk == user.pk or superior.pk in subordinate_ids(user))
        ):
            raise forms.ValidationError(
                _("The superior cannot be the user or someone who reports to the user.")
            )
        return superior


@admin.register(User)
class KehuUserAdmin(AdministratorAccess, UserAdmin):
    form = KehuUserChangeForm
    list_display = (
        "username",
        "full_name",
        "department",
        "superior",
        "role_list",
        "is_active",
        "last_login",
    )
    list_filter = ("is_active", "is_superuser", "roles", "department")
    search_fields = ("username", "full_name", "email")
    ordering = ("username",)
    filter_horizontal = ("roles",)
    autocomplete_fields = ("department", "superior")
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "email")}),
        (_("Organisation"), {"fields": ("department", "superior", "roles")}),
        (_("Status"), {"fields": ("is_active", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "full_name",
                    "department",
                    "superior",
                    "roles",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("department", "superior")
            .prefetch_related("roles")
        )

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser makes superusers; the role is what administrators hand out.
        if not request.user.is_superuser:
            return (*self.readonly_fields, "is_superuser")
        return self.readonly_fields

    def has_change_permission(self, request, obj=None) -> bool:
        # An administrator who could set a superuser's password could become one.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("roles"))
    def role_list(self, obj: User) -> str:
        return "、".join(str(role) for role in obj.roles.all())


@admin.register(Role)
class RoleAdmin(AdministratorAccess, admin.ModelAdmin):
    list_display = (
        "__str__",
        "code",
        "read_scope",
        "write_scope",
        "unmask_scope",
        "is_admin",
        "user_count",
    )
    fields = ("code", "name", "read_scope", "write_scope", "unmask_scope", "is_admin")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(user_count=Count("users"))

    def get_readonly_fields(self, request, obj=None):
        # Code refers to the preset roles (demo data, migrations); their scopes stay editable.
        return ("code",) if obj is not None and obj.code in RoleCode.values else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.code in RoleCode.values:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("users"), ordering="user_count")
    def user_count(self, obj: Role) -> int:
        return obj.user_count


# Sign-in log and authenticators (accounts/security/admin.py).
from kehu.accounts.security import admin as security_admin  # noqa: E402, F401
