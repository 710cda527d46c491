"""Data quality (spec §5): export log, completeness state, the working-day calendar."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import CustomerScopedQuerySet


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", "Excel (.xlsx)"
    CSV = "csv", "CSV"


class ExportLog(models.Model):
    """Every export: who, what filter, how many rows, masked or not (PIPL: access to data)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    file_format = models.CharField(_("format"), max_length=8, choices=ExportFormat.choices)
    filters = models.JSONField(_("filter"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("rows"))
    unmasked = models.BooleanField(_("mobile numbers unmasked"), default=False)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("export log entry")
        verbose_name_plural = _("export log")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.file_format} {self.row_count}"


class CompletenessState(models.TextChoices):
    COMPLETE = "complete", _("Complete")
    PENDING = "pending", _("To be completed")  # 待补全
    OVERDUE = "overdue", _("Information incomplete")  # 信息待完善


class CustomerCompleteness(models.Model):
    """A customer missing industry or the decision maker's title is 待补全; still missing after
    3 working days it becomes 信息待完善 and its owner is reminded (seed §2.3)."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="completeness"
    )
    state = models.CharField(
        _("completeness"), max_length=16, choices=CompletenessState.choices, db_index=True
    )
    missing = models.JSONField(_("missing fields"), default=list, blank=True)
    incomplete_since = models.DateField(_("incomplete since"), null=True, blank=True)
    due_date = models.DateField(_("complete by"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("owner reminded at"), null=True, blank=True)
    checked_at = models.DateTimeField(_("checked at"))

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer completeness")
        verbose_name_plural = _("customer completeness")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.state}"


class WorkingDayOverride(models.Model):
    """A day whose working status an administrator sets by hand: a statutory holiday or a
    make-up working day (调休) of a year the calendar library does not know yet."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("holiday or make-up working day")
        verbose_name_plural = _("holidays and make-up working days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'working' if self.is_working_day else 'holiday'}"


class ReviewOutcome(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    NEEDS_UPDATE = "needs_update", _("Sent back to the owner")


class CustomerReview(models.Model):
    """The data steward's monthly review (月度审核, seed §2.3): a customer's status, needs and
    contact details were checked for `month`, or sent back to the owner to correct."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="reviews"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the reviewed month."))
    outcome = models.CharField(_("outcome"), max_length=16, choices=ReviewOutcome.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), on_delete=models.PROTECT
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), auto_now_add=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly review")
        verbose_name_plural = _("monthly reviews")
        ordering = ["-month", "-reviewed_at"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "month"], name="one_review_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m} {self.outcome}"


class StaleReminder(models.Model):
    """One reminder per owner per day about customers not updated for N days; the unique row
    is claimed before sending, so a retried or doubled schedule never sends twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    sent_on = models.DateField()
    customer_count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "sent_on"], name="one_stale_reminder_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.sent_on} {self.customer_count}"


# The importer and the duplicate finder keep their models beside their code.
from kehu.dataquality.duplicates.models import *  # noqa: E402, F403
from kehu.dataquality.imports.models import *  # noqa: E402, F403
