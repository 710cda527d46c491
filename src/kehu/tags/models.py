"""Tag library (客户分类标签表, spec §3.3/§4) and computed classification levels (spec §2.4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kehu.core.models import CustomerScopedQuerySet


class TagType(models.TextChoices):
    INDUSTRY = "industry", _("Industry tag")
    NEED = "need", _("Need tag")
    VALUE = "value", _("Value tag")
    RISK = "risk", _("Risk tag")
    CHANNEL = "channel", _("Channel tag")


class TagStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Tag(models.Model):
    tag_type = models.CharField(_("tag type"), max_length=16, choices=TagType.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=32)
    name_en = models.CharField(_("name (English)"), max_length=64, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    exclusive_group = models.SlugField(
        _("exclusive group"),
        max_length=32,
        blank=True,
        help_text=_(
            "Tags sharing a group conflict: a customer carries at most one of them "
            "(e.g. the value tiers)."
        ),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TagStatus.choices, default=TagStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    request_reason = models.CharField(_("reason for the request"), max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(user_related_name="+")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["tag_type", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tag_type", "name_zh"], name="tag_unique_name")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        lang = translation.get_language() or settings.LANGUAGE_CODE
        return (self.name_en or self.name_zh) if lang.startswith("en") else self.name_zh


class CustomerTag(models.Model):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="customer_tags",
    )
    tag = models.ForeignKey(
        Tag, verbose_name=_("tag"), on_delete=models.PROTECT, related_name="customer_tags"
    )
    note = models.CharField(
        _("tag note"),
        max_length=300,
        blank=True,
        help_text=_("Facts behind the tag, e.g. what the customer said."),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    history = HistoricalRecords(user_related_name="+")
    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer tag")
        verbose_name_plural = _("customer tags")
        ordering = ["tag__tag_type", "added_at"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "tag"], name="customer_tag_unique")
        ]
        indexes = [models.Index(fields=["tag", "customer"], name="customer_tag_by_tag")]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.tag}"


class Level(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class CooperationLevel(models.TextChoices):
    NONE = "none", _("Not yet a customer")
    UNDER_1 = "lt1", _("Under 1 year")
    ONE_TO_3 = "1to3", _("1–3 years")
    OVER_3 = "gt3", _("Over 3 years")


class BudgetLevel(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    UNDER_100K = "lt10w", _("Under ¥100k (10万)")
    TO_500K = "10to50w", _("¥100k–500k (10–50万)")
    OVER_500K = "gt50w", _("Over ¥500k (50万)")


class CustomerClassification(models.Model):
    """Behaviour and value levels computed from the data (never typed by hand), with reasons."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="classification"
    )
    interaction_frequency = models.CharField(
        _("interaction frequency"), max_length=8, choices=Level.choices, db_index=True
    )
    channel_preference = models.CharField(_("channel preference"), max_length=16, blank=True)
    cooperation_level = models.CharField(
        _("years of cooperation"), max_length=8, choices=CooperationLevel.choices, db_index=True
    )
    budget_level = models.CharField(
        _("annual budget level"), max_length=8, choices=BudgetLevel.choices, db_index=True
    )
    evidence = models.JSONField(
        _("evidence"),
        default=dict,
        help_text=_("The figures each level was computed from; shown translated as the reason."),
    )
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("customer classification")
        verbose_name_plural = _("customer classifications")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.interaction_frequency}/{self.cooperation_level}"
