"""Sales (销售, spec §6): leads (销售线索), the web-to-lead forms that capture them, pipeline
stages and opportunities (商机).

Leads have an owner and a department of their own and are scoped like customers
(``core.access.owner_scope_q``); an opportunity belongs to a customer and is visible exactly
when its customer is. The write rules live in ``sales.services``.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from kehu.core.crypto.fields import BlindIndexField, EncryptedTextField
from kehu.core.models import TimeStampedModel, VersionedModel
from kehu.customers import validators
from kehu.customers.models import Industry, LocalisedPreset, Region, Source
from kehu.sales.scope_copy import SCOPE_COPY_FIELDS, CustomerScopeCopy


class LeadStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("lead status", "New")
    CONTACTED = "contacted", pgettext_lazy("lead status", "Contacted")
    QUALIFIED = "qualified", pgettext_lazy("lead status", "Qualified")
    CONVERTED = "converted", pgettext_lazy("lead status", "Converted")
    DISQUALIFIED = "disqualified", pgettext_lazy("lead status", "Disqualified")


class LeadQuerySet(models.QuerySet):
    def visible_to(self, user) -> LeadQuerySet:
        from kehu.core.access import owner_scope_q

        return self.filter(owner_scope_q(user))

    def editable_by(self, user) -> LeadQuerySet:
        from kehu.core.access import owner_scope_q

        return self.filter(owner_scope_q(user, write=True))


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


class WebToLeadForm(TimeStampedModel):
    """A public lead form (web-to-lead) that a company web site embeds in an iframe."""

    name = models.CharField(_("name"), max_length=64)
    token = models.CharField(
        _("form token"), max_length=64, unique=True, default=new_form_token, editable=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner of new leads"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.WEBSITE
    )
    allowed_origins = models.TextField(
        _("allowed origins"),
        blank=True,
        help_text=_(
            "Web sites that may embed the form, one per line (https://www.example.com). "
            "Empty: only this server's own pages."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("web-to-lead form")
        verbose_name_plural = _("web-to-lead forms")

    def __str__(self) -> str:
        return self.name

    @property
    def origins(self) -> list[str]:
        return [
            line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()
        ]


class Lead(VersionedModel):
    name = models.CharField(pgettext_lazy("person", "name"), max_length=64)
    company = models.CharField(_("company"), max_length=128, blank=True)
    title = models.CharField(pgettext_lazy("job", "title"), max_length=64, blank=True)
    # Encrypted at rest (kehu.core.crypto); found by its blind indexes, never by value. The
    # index purposes are the contacts' ("mobile"), so a lead's number finds a contact's.
    mobile = EncryptedTextField(
        _("mobile"),
        max_length=11,
        blank=True,
        validators=[validators.validate_mobile],
        purpose="sales.lead.mobile",
    )
    mobile_hash = BlindIndexField(source="mobile", purpose="mobile", db_index=True)
    mobile_last4_hash = BlindIndexField(
        source="mobile", purpose="mobile_last4", suffix=4, db_index=True
    )
    email = models.EmailField(_("email"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    region = models.ForeignKey(
        Region,
        verbose_name=_("province / region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    industry = models.ForeignKey(
        Industry,
        verbose_name=_("industry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=LeadStatus.choices,
        default=LeadStatus.NEW,
        db_index=True,
    )
    disqualify_reason = models.CharField(_("reason for disqualifying"), max_length=500, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_leads",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
        help_text=_("The owner's department when the owner was assigned."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    web_form = models.ForeignKey(
        WebToLeadForm,
        verbose_name=_("web-to-lead form"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
        help_text=_("The customer the lead was converted into or linked to."),
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("converted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords(
        excluded_fields=["mobile_hash", "mobile_last4_hash", "version"], user_related_name="+"
    )
    objects = LeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["department", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="converted") | Q(customer__isnull=False),
                name="sales_lead_converted_has_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.company}" if self.company else self.name

    @property
    def is_open(self) -> bool:
        return self.status not in (LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED)


class PipelineStage(LocalisedPreset):
    """A stage of the opportunity pipeline (初步接洽 … 赢单/输单); administrators configure
    them. Won and lost stages close an opportunity."""

    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), validators=[MaxValueValidator(100)]
    )
    is_won = models.BooleanField(_("won"), default=False)
    is_lost = models.BooleanField(_("lost"), default=False)

    class Meta(LocalisedPreset.Meta):
        verbose_name = _("pipeline stage")
        verbose_name_plural = _("pipeline stages")
        constraints = [
            models.CheckConstraint(
                condition=~(Q(is_won=True) & Q(is_lost=True)), name="sales_stage_not_won_and_lost"
            ),
            models.CheckConstraint(
                condition=Q(probability__lte=100), name="sales_stage_probability_max_100"
            ),
        ]

    @property
    def is_closed(self) -> bool:
        return self.is_won or self.is_lost


class OpportunityQuerySet(models.QuerySet):
    def visible_to(self, user) -> OpportunityQuerySet:
        from kehu.core.access import customer_scope_q

        return self.filter(customer_scope_q(user, prefix="customer__"))

    def editable_by(self, user) -> OpportunityQuerySet:
        """Whoever may edit the customer, and the opportunity's own owner."""
        from kehu.core.access import customer_scope_q

        return self.visible_to(user).filter(
            customer_scope_q(user, write=True, prefix="customer__") | Q(owner_id=user.pk)
        )


class Opportunity(VersionedModel, CustomerScopeCopy):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    name = models.CharField(_("opportunity name"), max_length=128)
    stage = models.ForeignKey(
        PipelineStage,
        verbose_name=_("stage"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    amount = models.DecimalField(
        _("expected amount (CNY)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[validators.validate_non_negative],
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_opportunities",
    )
    competitor = models.CharField(_("competitor"), max_length=128, blank=True)
    loss_reason = models.CharField(_("loss reason"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords(
        excluded_fields=["version", *SCOPE_COPY_FIELDS], user_related_name="+"
    )
    objects = OpportunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["expected_close_date", "id"]
        indexes = [
            models.Index(fields=["stage", "expected_close_date"]),
            models.Index(fields=["owner", "stage"]),
            models.Index(fields=["expected_close_date"]),
            # The dashboard (issue 7): a rep's parts of the scope by owner; the won/lost
            # months read from the index alone on PostgreSQL (INCLUDE; SQLite leaves it out).
            models.Index(fields=["scope_owner_id", "stage"], name="opportunity_scope_owner"),
            models.Index(
                fields=["closed_at"],
                include=["stage", "amount", "scope_owner_id", "scope_department_id", "customer"],
                condition=Q(closed_at__isnull=False),
                name="opportunity_closed",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def weighted_amount(self):
        if self.amount is None:
            return None
        return self.amount * self.stage.probability / 100


# Contracts, payments and orders live in their own module (this one would pass 500 lines).
from kehu.sales.contract_models import (  # noqa: E402
    RUNNING_CONTRACT_STATUSES,
    Contract,
    ContractAttachment,
    ContractStatus,
    Currency,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
)

__all__ = [
    "RUNNING_CONTRACT_STATUSES",
    "Contract",
    "ContractAttachment",
    "ContractStatus",
    "Currency",
    "Lead",
    "LeadStatus",
    "Opportunity",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Payment",
    "PipelineStage",
    "WebToLeadForm",
]
