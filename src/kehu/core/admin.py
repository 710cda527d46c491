"""The Django admin configures Kehu (organisation, roles, presets, custom fields) and is open to
administrators only: users holding a role marked administrator, and superusers.

Django's own checks are replaced, not added to: the staff flag alone does not open the admin
(a staff user without the administrator role is refused) and is not needed either, and
Django's per-model permissions are not used; the role decides (core.permissions).
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.models import Heartbeat
from kehu.core.permissions import is_administrator
from kehu.core.stale_admin import StaleEditRefusal


def admin_site_has_permission(request) -> bool:
    return bool(request.user.is_active and is_administrator(request.user))


class AdministratorLoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter the correct %(username)s and password of an administrator. Both "
            "fields may be case-sensitive."
        ),
    }

    def confirm_login_allowed(self, user):
        # Skip AdminAuthenticationForm's is_staff test: the administrator role decides.
        AuthenticationForm.confirm_login_allowed(self, user)
        if not is_administrator(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


admin.site.has_permission = admin_site_has_permission
admin.site.login_form = AdministratorLoginForm


class AdministratorAccess(StaleEditRefusal):
    """Mixin for every Kehu ModelAdmin and inline: administrators may do everything the
    admin class allows, nobody else anything; a stale change form is refused."""

    read_only = False

    def has_module_permission(self, request) -> bool:
        return is_administrator(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_administrator(request.user)

    def has_add_permission(self, request, *args) -> bool:
        return not self.read_only and is_administrator(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return not self.read_only and is_administrator(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self.read_only and is_administrator(request.user)


class ReadOnlyAccess(AdministratorAccess):
    """Records written by the application (customers through the services, logs by the
    system): the admin shows them and never writes them."""

    read_only = True


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAccess, admin.ModelAdmin):
    list_display = ("name", "beat_at", "age")

    @admin.display(description=_("seconds ago"))
    def age(self, obj: Heartbeat) -> int:
        return int((timezone.now() - obj.beat_at).total_seconds())
