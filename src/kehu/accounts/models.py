"""Organisation: departments (a tree), users, roles and their data scopes (数据权限)."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.audit.history import AuditedHistoricalRecords


class DataScope(models.TextChoices):
    OWN = "own", _("Own records")
    DEPARTMENT = "department", _("Own department and sub-departments")
    COMPANY = "company", _("Whole company")


class UnmaskScope(models.TextChoices):
    NONE = "none", _("Never")
    EDITABLE = "editable", _("Records the user may edit")
    VISIBLE = "visible", _("Every record the user may see")


class RoleCode(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Department head")
    SALES = "sales", _("Sales (account manager)")
    SERVICE = "service", _("Customer service")
    MARKETING = "marketing", _("Marketing")
    DATA_STEWARD = "data_steward", _("Data steward")


SCOPE_RANK = {DataScope.OWN: 0, DataScope.DEPARTMENT: 1, DataScope.COMPANY: 2}
UNMASK_RANK = {UnmaskScope.NONE: 0, UnmaskScope.EDITABLE: 1, UnmaskScope.VISIBLE: 2}


class Department(models.Model):
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    head = models.ForeignKey(
        "accounts.User",
        verbose_name=_("department head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    history = AuditedHistoricalRecords(user_related_name="+")

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="department_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A role grants a read scope, a write scope and an unmask right; a user may hold several,
    and the widest of each applies."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    read_scope = models.CharField(
        _("data scope (read)"), max_length=16, choices=DataScope.choices, default=DataScope.OWN
    )
    write_scope = models.CharField(
        _("data scope (edit)"), max_length=16, choices=DataScope.choices, default=DataScope.OWN
    )
    unmask_scope = models.CharField(
        _("may unmask mobile numbers"),
        max_length=16,
        choices=UnmaskScope.choices,
        default=UnmaskScope.NONE,
    )
    is_admin = models.BooleanField(
        _("administrator"),
        default=False,
        help_text=_("Manages configuration: users, roles, custom fields, presets."),
    )

    history = AuditedHistoricalRecords(user_related_name="+")

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["id"]

    def __str__(self) -> str:
        if self.code in RoleCode.values:
            return str(RoleCode(self.code).label)
        return self.name


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    superior = models.ForeignKey(
        "self",
        verbose_name=_("superior"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subordinates",
        help_text=_("Reporting line: a superior sees the records of everyone reporting to them."),
    )
    roles = models.ManyToManyField(Role, verbose_name=_("roles"), blank=True, related_name="users")

    # Permission changes (roles, department, superior, active, superuser) with before/after;
    # the password hash and sign-in times stay out of history.
    history = AuditedHistoricalRecords(
        excluded_fields=["password", "last_login"], m2m_fields=[roles], user_related_name="+"
    )
    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username


class HandoverState(models.TextChoices):
    PENDING = "pending", _("Awaiting the department head")
    DONE = "done", _("Done")
    REJECTED = "rejected", _("Rejected")


class Handover(models.Model):
    """离职交接 (spec §1, §4.2): everything one user owns moves to another, once the department
    head confirms; the report lists what moved."""

    from_user = models.ForeignKey(
        User, verbose_name=_("from"), on_delete=models.PROTECT, related_name="handovers_out"
    )
    to_user = models.ForeignKey(
        User, verbose_name=_("to"), on_delete=models.PROTECT, related_name="handovers_in"
    )
    requested_by = models.ForeignKey(
        User, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    approver = models.ForeignKey(
        User,
        verbose_name=_("confirmed by (department head)"),
        on_delete=models.PROTECT,
        related_name="handovers_to_confirm",
    )
    deactivate = models.BooleanField(_("deactivate the departing user afterwards"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=HandoverState.choices, default=HandoverState.PENDING
    )
    report = models.JSONField(_("report"), default=dict, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_user} → {self.to_user} ({self.state})"


# Sign-in security models live in their own module; importing them here registers them.
from kehu.accounts.security.models import (  # noqa: E402, F401
    AccessEvent,
    RecoveryCode,
    TOTPDevice,
)
