"""PIPL (《个人信息保护法》, spec §10): purpose notices, consents per contact, and data-subject
requests (export, correct, erase)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kehu.core.models import TimeStampedModel


class Purpose(models.TextChoices):
    SERVICE = "service", _("Service and follow-up")
    MARKETING = "marketing", _("Marketing messages")
    ANALYTICS = "analytics", _("Analysis and product improvement")


class PurposeNotice(TimeStampedModel):
    """The text shown to a person when their data is collected for a purpose (使用目的告知).
    A changed text is a new version: consents keep the version they were given under."""

    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    version = models.PositiveIntegerField(_("version"))
    language = models.CharField(_("language"), max_length=16, default="zh-hans")
    text = models.TextField(_("notice text"), max_length=10000)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords(user_related_name="+")

    class Meta:
        verbose_name = _("purpose notice")
        verbose_name_plural = _("purpose notices")
        ordering = ["purpose", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "version", "language"], name="purpose_notice_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} v{self.version} ({self.language})"


class ConsentChannel(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    PAPER = "paper", _("Paper form")
    PHONE = "phone", _("Phone (recorded)")
    EMAIL = "email", _("Email")
    SELF_SERVICE = "self_service", _("Self-service")
    IN_PERSON = "in_person", _("In person")


class ConsentQuerySet(models.QuerySet):
    def visible_to(self, user) -> ConsentQuerySet:
        from kehu.core.access import customer_scope_q

        return self.filter(customer_scope_q(user, prefix="contact__customer__"))

    def live(self) -> ConsentQuerySet:
        return self.filter(withdrawn_at__isnull=True)


class Consent(models.Model):
    """A contact's consent to one purpose, under one notice version; withdrawing keeps the
    row (when and how it was withdrawn is part of the record)."""

    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="consents",
    )
    notice = models.ForeignKey(
        PurposeNotice,
        verbose_name=_("notice version"),
        on_delete=models.PROTECT,
        related_name="consents",
    )
    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=ConsentChannel.choices)
    given_at = models.DateTimeField(_("given at"))
    evidence = models.CharField(
        _("evidence note"),
        max_length=300,
        blank=True,
        help_text=_("Where the proof is kept, e.g. the signed form's number or the call id."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_channel = models.CharField(
        _("withdrawn through"), max_length=16, choices=ConsentChannel.choices, blank=True
    )
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawal recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = HistoricalRecords(user_related_name="+")
    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at", "-id"]
        constraints = [
            # At most one live consent per contact and purpose: a new one replaces it.
            models.UniqueConstraint(
                fields=["contact", "purpose"],
                condition=Q(withdrawn_at__isnull=True),
                name="consent_one_live_per_purpose",
            )
        ]
        indexes = [models.Index(fields=["purpose", "withdrawn_at"], name="consent_purpose_live")]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.purpose} v{self.notice_id}"

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None


class RequestKind(models.TextChoices):
    EXPORT = "export", _("Export (access and portability)")
    CORRECT = "correct", _("Correction")
    ERASE = "erase", _("Erasure")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    REJECTED = "rejected", _("Rejected")


class RequestOrigin(models.TextChoices):
    PERSON = "person", _("The person asked")
    RETENTION = "retention", _("Retention rule")


class DataSubjectRequest(TimeStampedModel):
    """A person's request about their data (查阅复制、更正、删除, PIPL arts. 45–47). The person is
    identified by a contact; once erased, only ids remain here."""

    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="data_requests",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("request"), max_length=16, choices=RequestKind.choices)
    origin = models.CharField(
        _("origin"), max_length=16, choices=RequestOrigin.choices, default=RequestOrigin.PERSON
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    note = models.CharField(
        _("note"),
        max_length=500,
        blank=True,
        help_text=_("How the request came in and how the person was verified; no personal data."),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)

    history = HistoricalRecords(user_related_name="+")

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="dsr_status_created")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"
