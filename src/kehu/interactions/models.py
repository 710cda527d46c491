"""Interaction records (客户互动记录表, spec §3), tasks with reminders, in-app notifications."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from kehu.core.models import CustomerScopedQuerySet, TimeStampedModel, VersionedModel

# An interaction entered more than this long after it happened counts as late (spec §3).
TIMELINESS_LIMIT = dt.timedelta(hours=24)


class Method(models.TextChoices):
    PHONE = "phone", _("Phone")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("Email")
    MEETING = "meeting", _("Meeting")
    LIVE = "live", _("Online live stream")


class Feedback(models.TextChoices):
    INTERESTED = "interested", pgettext_lazy("customer feedback", "Interested")
    NEEDS_INFO = "needs_info", _("Wants to know more")
    NOT_NOW = "not_now", _("Not for now")
    REFUSED = "refused", _("Clearly refused")
    OBJECTION = "objection", _("Raised an objection")


class Interaction(TimeStampedModel):
    code = models.CharField(_("record code"), max_length=32, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="interactions",
    )
    occurred_at = models.DateTimeField(_("interaction time"), db_index=True)
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    topic = models.CharField(_("topic"), max_length=100)
    summary = models.TextField(_("summary"), max_length=5000)
    feedback = models.CharField(_("customer feedback"), max_length=16, choices=Feedback.choices)
    next_action = models.CharField(_("next action"), max_length=200, blank=True)
    next_action_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("next action owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    next_action_due = models.DateTimeField(_("next action due"), null=True, blank=True)
    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("follower"),
        on_delete=models.PROTECT,
        related_name="interactions",
        help_text=_("Who talked to the customer."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_late = models.BooleanField(
        _("entered late"),
        default=False,
        help_text=_("Entered more than 24 hours after the interaction."),
    )

    history = HistoricalRecords(user_related_name="+")
    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="interaction_customer_time"),
            models.Index(fields=["follower", "created_at"], name="interaction_follower_created"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.topic}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class TaskQuerySet(models.QuerySet):
    def visible_to(self, user) -> TaskQuerySet:
        """Tasks on customers the user may see, and tasks assigned to the user."""
        from kehu.core.access import customer_scope_q

        return self.filter(customer_scope_q(user, prefix="customer__") | models.Q(assignee=user))


class Task(VersionedModel):
    title = models.CharField(_("title"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("from interaction"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    due_at = models.DateTimeField(_("due"), db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["version"], user_related_name="+")
    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="task_assignee_due"),
            models.Index(fields=["status", "reminded_at", "due_at"], name="task_reminder_due"),
        ]

    def __str__(self) -> str:
        return self.title


class Notification(models.Model):
    """The notification bell: one row per recipient."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title


def _new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A per-user secret URL for the iCalendar feed of the user's tasks; can be regenerated."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=_new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.user}"
