"""Duplicate scan, duplicate groups, dismissed pairs, merges and code aliases (spec §5).

Imported by kehu.dataquality.models, so these models belong to the dataquality app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.crypto.fields import EncryptedJSONField
from kehu.dataquality.matching import Reason

__all__ = [
    "CustomerCodeAlias",
    "CustomerMerge",
    "DismissedPair",
    "DuplicateGroup",
    "DuplicateGroupMember",
    "DuplicateGroupStatus",
    "DuplicateScan",
    "DuplicateScanStatus",
]


class DuplicateScanStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DuplicateScan(models.Model):
    """One run of the whole-table scan, with what it did and how long each phase took."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DuplicateScanStatus.choices,
        default=DuplicateScanStatus.QUEUED,
    )
    customers_scanned = models.PositiveIntegerField(_("customers scanned"), default=0)
    pairs_scored = models.PositiveBigIntegerField(_("pairs scored"), default=0)
    groups_found = models.PositiveIntegerField(_("groups found"), default=0)
    threshold = models.FloatField(_("threshold"), default=0)
    phase_seconds = models.JSONField(_("seconds per phase"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("duplicate scan")
        verbose_name_plural = _("duplicate scans")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"scan {self.pk} {self.status}"


class DuplicateGroupStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DISMISSED = "dismissed", _("Not duplicates")


class DuplicateGroup(models.Model):
    """Customers that probably are one company: the connected pairs of one scan.

    `pairs` holds each matched pair with its score and reasons as codes and parameters
    (rendered in the reader's language, see matching.Reason).
    """

    scan = models.ForeignKey(
        DuplicateScan, null=True, blank=True, on_delete=models.SET_NULL, related_name="groups"
    )
    score = models.FloatField(_("score"), db_index=True)
    size = models.PositiveIntegerField(_("records"))
    pairs = models.JSONField(_("matched pairs"), default=list)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DuplicateGroupStatus.choices,
        default=DuplicateGroupStatus.OPEN,
        db_index=True,
    )
    created_at = models.DateTimeField(_("found at"), auto_now_add=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dismissed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("duplicate group")
        verbose_name_plural = _("duplicate groups")
        ordering = ["-score", "-id"]

    def __str__(self) -> str:
        return f"group {self.pk} ({self.size}, {self.score:.2f})"

    def pair_reasons(self) -> list[tuple[int, int, float, list[Reason]]]:
        return [
            (p["a"], p["b"], p["score"], [Reason.from_json(r) for r in p["reasons"]])
            for p in self.pairs
        ]


class DuplicateGroupMember(models.Model):
    group = models.ForeignKey(DuplicateGroup, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="duplicate_memberships"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "customer"], name="duplicate_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.customer_id}"


class DismissedPair(models.Model):
    """Two customers a user said are not duplicates; later scans never pair them again.

    Plain ids (low, high), not foreign keys: the verdict must survive a merge and its undo.
    """

    low_id = models.BigIntegerField()
    high_id = models.BigIntegerField()
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismissed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["low_id", "high_id"], name="dismissed_pair_unique")
        ]

    def __str__(self) -> str:
        return f"{self.low_id}≠{self.high_id}"


class CustomerMerge(models.Model):
    """One merge: who, when, which codes went into which customer, and everything needed to
    undo it (the snapshot: the dropped customers and the rows that were moved or removed)."""

    keep = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("kept customer"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="merges",
    )
    keep_code = models.CharField(_("kept code"), max_length=24)
    dropped_ids = models.JSONField(_("merged-away ids"), default=list)
    dropped_codes = models.JSONField(_("merged-away codes"), default=list)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True, db_index=True)
    keep_version_after = models.PositiveIntegerField()
    # Encrypted: the merged-away customers' rows (their contacts' mobiles among them).
    snapshot = EncryptedJSONField(default=dict, purpose="dataquality.customermerge.snapshot")
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"{', '.join(self.dropped_codes)} → {self.keep_code}"


class CustomerCodeAlias(models.Model):
    """The code of a merged-away customer, pointing at the customer it was merged into."""

    code = models.CharField(_("customer code"), max_length=24, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="code_aliases"
    )
    merge = models.ForeignKey(CustomerMerge, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        verbose_name = _("customer code alias")
        verbose_name_plural = _("customer code aliases")

    def __str__(self) -> str:
        return f"{self.code} → {self.customer_id}"
