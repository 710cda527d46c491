"""The public customer pool (公海, spec §6) and lead assignment rules.

A customer nobody follows up returns to a pool: its owner becomes the pool's keeper (an
inactive placeholder user, so the customer drops out of everyone's data scope without a change
to the customer rules), and pool members claim it back under the pool's limits. The pool state
of a customer lives here (``PoolEntry``), never on the customer; the owner changes only through
``kehu.pool.services``.

Days are calendar days (自然日), as the reference systems count 未跟进天数: a customer left
alone over a holiday still goes back to the pool, so that others may pick it up.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kehu.core.models import VersionedModel
from kehu.customers.models import Industry, Region, Status


class PoolQuerySet(models.QuerySet):
    def visible_to(self, user) -> PoolQuerySet:
        from kehu.core.access import pool_scope_q

        return self.filter(pool_scope_q(user))


class Pool(VersionedModel):
    name = models.CharField(_("name"), max_length=64, unique=True)
    is_open = models.BooleanField(
        _("open pool"),
        default=True,
        help_text=_(
            "Open: members claim customers themselves. Closed: only the pool's administrators "
            "assign customers from it."
        ),
    )
    auto_assign = models.BooleanField(
        _("assign returned customers automatically"),
        default=False,
        help_text=_("Hand customers out by the pool-return assignment rules as they return."),
    )
    departments = models.ManyToManyField(
        "accounts.Department",
        verbose_name=_("member departments"),
        blank=True,
        related_name="pools",
        help_text=_(
            "Users of these departments (and those below them) are members; their customers "
            "return to this pool."
        ),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("other members"),
        blank=True,
        related_name="member_pools",
    )
    administrators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pool administrators"),
        blank=True,
        related_name="administered_pools",
    )
    keeper = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("keeper"),
        on_delete=models.PROTECT,
        related_name="kept_pool",
        editable=False,
        help_text=_("The placeholder owner of the customers in the pool; it cannot sign in."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    # Settings changes, so a refused stale edit can say what was changed since (core.conflicts).
    history = HistoricalRecords(excluded_fields=["version"], user_related_name="+")
    objects = PoolQuerySet.as_manager()

    class Meta:
        verbose_name = _("public pool")
        verbose_name_plural = _("public pools")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class PoolRule(models.Model):
    """When customers of one status return to the pool, and how many a member may claim."""

    pool = models.ForeignKey(
        Pool, verbose_name=_("public pool"), on_delete=models.CASCADE, related_name="rules"
    )
    status = models.CharField(_("customer status"), max_length=16, choices=Status.choices)
    days_without_follow_up = models.PositiveSmallIntegerField(
        _("days without follow-up"),
        validators=[MinValueValidator(1)],
        help_text=_(
            "Calendar days without an interaction by the owner before the customer returns."
        ),
    )
    notice_days = models.PositiveSmallIntegerField(
        _("notice days before return"),
        default=3,
        help_text=_("The owner is told this many days before the customer returns."),
    )
    max_held = models.PositiveSmallIntegerField(
        _("most held at once"),
        null=True,
        blank=True,
        help_text=_("Customers of this status from this pool one user may hold; empty: no limit."),
    )
    max_claims_per_day = models.PositiveSmallIntegerField(
        _("most claims a day"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    cooldown_days = models.PositiveSmallIntegerField(
        _("cooldown days"),
        default=0,
        help_text=_("The previous owner may not claim the customer back for this many days."),
    )

    class Meta:
        verbose_name = _("pool rule")
        verbose_name_plural = _("pool rules")
        ordering = ["pool", "status"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "status"], name="pool_rule_unique_status")
        ]

    def __str__(self) -> str:
        return f"{self.pool}: {self.get_status_display()}"

    def clean(self) -> None:
        if self.days_without_follow_up and self.notice_days >= self.days_without_follow_up:
            raise ValidationError(
                {"notice_days": _("The notice must come before the day the customer returns.")}
            )


class PoolEntryState(models.TextChoices):
    IN_POOL = "in_pool", _("In the pool")
    HELD = "held", _("Held by a user")


class PoolEntry(models.Model):
    """A customer's pool state: in the pool (since when, from whom, why), or held again since
    a claim or an assignment. A customer that was never in a pool gets one when the first
    return notice goes out."""

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="pool_entry",
    )
    pool = models.ForeignKey(
        Pool, verbose_name=_("public pool"), on_delete=models.PROTECT, related_name="entries"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=PoolEntryState.choices, default=PoolEntryState.HELD
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    previous_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("previous owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    held_since = models.DateTimeField(
        _("held since"),
        null=True,
        blank=True,
        help_text=_("When the current owner claimed it or was assigned it."),
    )
    notice_due_date = models.DateField(
        _("return notice sent for"),
        null=True,
        blank=True,
        help_text=_("The return date the owner was last told about."),
    )

    class Meta:
        verbose_name = _("pool entry")
        verbose_name_plural = _("pool entries")
        ordering = ["-returned_at", "-id"]
        indexes = [
            models.Index(fields=["pool", "state", "-returned_at"], name="pool_entry_pool_state"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.state}"

    @property
    def in_pool(self) -> bool:
        return self.state == PoolEntryState.IN_POOL


class PoolEventAction(models.TextChoices):
    NOTICE = "notice", _("Return notice")
    RETURNED = "returned", _("Returned (no follow-up)")
    RELEASED = "released", _("Returned by the owner")
    CLAIMED = "claimed", _("Claimed")
    ASSIGNED = "assigned", _("Assigned")


class PoolEvent(models.Model):
    """The claim and return history (领取/退回记录); the daily claim limit counts these."""

    pool = models.ForeignKey(
        Pool, verbose_name=_("public pool"), on_delete=models.CASCADE, related_name="events"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="pool_events",
    )
    action = models.CharField(_("action"), max_length=16, choices=PoolEventAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: the system."),
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("customer status"), max_length=16, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    due_date = models.DateField(_("return date"), null=True, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("pool event")
        verbose_name_plural = _("pool events")
        ordering = ["-at", "-id"]
        constraints = [
            # Idempotent notices: one per customer and return date, however often the job runs.
            models.UniqueConstraint(
                fields=["customer", "due_date"],
                condition=models.Q(action="notice"),
                name="pool_event_one_notice_per_due_date",
            )
        ]
        indexes = [
            models.Index(fields=["actor", "action", "pool", "at"], name="pool_event_daily_claims"),
            models.Index(fields=["pool", "-at"], name="pool_event_pool_time"),
            models.Index(fields=["customer", "-at"], name="pool_event_customer_time"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.customer_id} {self.at:%Y-%m-%d}"


class AssignmentScope(models.TextChoices):
    LEADS = "leads", _("New leads")
    POOL_RETURNS = "pool_returns", _("Customers returned to a pool")


class AssignmentStrategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin")
    LOAD = "load", _("Fewest open leads or customers")


class AssignmentRule(VersionedModel):
    """分配规则: rules of a scope are tried in order; the first whose conditions (regions,
    industries) match and which has someone to give the record to assigns it. By region or by
    industry is a rule with that condition; round robin keeps its pointer here, moved under a
    row lock."""

    name = models.CharField(_("name"), max_length=64)
    scope = models.CharField(_("applies to"), max_length=16, choices=AssignmentScope.choices)
    pool = models.ForeignKey(
        Pool,
        verbose_name=_("public pool"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assignment_rules",
        help_text=_("For pool returns: only customers returning to this pool. Empty: any pool."),
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Sales of this department and those below it share the records."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        blank=True,
        related_name="+",
        help_text=_("Instead of a team: exactly these users."),
    )
    strategy = models.CharField(
        _("strategy"),
        max_length=16,
        choices=AssignmentStrategy.choices,
        default=AssignmentStrategy.ROUND_ROBIN,
    )
    regions = models.ManyToManyField(
        Region,
        verbose_name=_("only regions"),
        blank=True,
        related_name="+",
        help_text=_("Empty: any region. An area (华北) includes its provinces."),
    )
    industries = models.ManyToManyField(
        Industry,
        verbose_name=_("only industries"),
        blank=True,
        related_name="+",
        help_text=_("Empty: any industry. A category includes its industries."),
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    history = HistoricalRecords(excluded_fields=["version", "last_assigned"], user_related_name="+")

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        ordering = ["scope", "sort_order", "id"]

    def __str__(self) -> str:
        return self.name
