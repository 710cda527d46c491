"""Customer imports (spec §5): the job, its per-row errors, what it wrote (for rollback), and
each user's remembered column mappings."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.crypto.fields import EncryptedJSONField
from kehu.core.models import TimeStampedModel


class ImportMode(models.TextChoices):
    CREATE = "create", _("Create new customers")
    UPDATE = "update", _("Update existing customers (by customer code)")
    UPSERT = "upsert", _("Update by customer code, create rows without a code")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    VALIDATING = "validating", _("Checking")
    VALIDATED = "validated", _("Checked")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    ROLLING_BACK = "rolling_back", _("Rolling back")
    ROLLED_BACK = "rolled_back", _("Rolled back")


class ImportJob(TimeStampedModel):
    """One uploaded file and everything done with it. `checkpoint` (data rows committed) is
    saved in the same transaction as each chunk, so a re-run resumes where a dead worker
    stopped."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="import_jobs",
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    filename = models.CharField(_("file name"), max_length=255)
    mode = models.CharField(
        _("mode"), max_length=8, choices=ImportMode.choices, default=ImportMode.CREATE
    )
    headers = models.JSONField(_("headers"), default=list, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    is_dry_run = models.BooleanField(_("errors are from the dry run"), default=False)
    total_rows = models.PositiveIntegerField(_("rows in the file"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    checkpoint = models.PositiveIntegerField(_("rows committed"), default=0)
    # RowChecker.fingerprint() of the last complete dry run; a write with the same fingerprint
    # reuses its verdicts instead of validating the passed rows' fields again.
    checked_fingerprint = models.CharField(
        _("fingerprint of the dry run"), max_length=64, blank=True, default=""
    )
    message = models.TextField(_("message"), blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rolled_back_at = models.DateTimeField(_("rolled back at"), null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rolled back by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_user_created")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status in (ImportStatus.DONE, ImportStatus.VALIDATED) else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))

    @property
    def can_remap(self) -> bool:
        """Column matching may change until the first chunk is written."""
        reworkable = (ImportStatus.UPLOADED, ImportStatus.VALIDATED, ImportStatus.FAILED)
        return self.status in reworkable and not self.checkpoint

    @property
    def is_busy(self) -> bool:
        return self.status in (
            ImportStatus.VALIDATING,
            ImportStatus.QUEUED,
            ImportStatus.RUNNING,
            ImportStatus.ROLLING_BACK,
        )


class ImportRowError(models.Model):
    """A row that was not written: its original cells and the reason per column."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row_number = models.PositiveIntegerField(_("row"))
    # Encrypted: the cells are a customer's data (mobile numbers among them), and the
    # messages may quote them.
    values = EncryptedJSONField(
        _("cells"), default=list, purpose="dataquality.importrowerror.values"
    )
    # {header: [message, …]}; the key "" holds reasons that belong to no single column.
    errors = EncryptedJSONField(
        _("errors"), default=dict, purpose="dataquality.importrowerror.errors"
    )

    class Meta:
        verbose_name = _("import error")
        verbose_name_plural = _("import errors")
        ordering = ["job", "row_number"]
        indexes = [models.Index(fields=["job", "row_number"], name="import_error_row")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row_number}"


class ImportAction(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")


class ImportRecord(models.Model):
    """A customer the job created or updated, with its version afterwards (a later edit
    blocks rollback) and, for updates, the values before."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="records")
    customer_id = models.BigIntegerField(_("customer id"), db_index=True)
    customer_code = models.CharField(_("customer code"), max_length=24)
    action = models.CharField(_("action"), max_length=8, choices=ImportAction.choices)
    version_after = models.PositiveIntegerField(_("version after the import"))
    # Encrypted: it holds the decision maker's mobile as it was.
    before = EncryptedJSONField(
        _("values before"),
        default=dict,
        blank=True,
        encoder=DjangoJSONEncoder,
        purpose="dataquality.importrecord.before",
    )

    class Meta:
        verbose_name = _("imported customer")
        verbose_name_plural = _("imported customers")
        indexes = [models.Index(fields=["job", "action"], name="import_record_action")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.customer_code}"


class ImportMappingMemory(models.Model):
    """The mapping a user last chose for a set of headers, pre-filled next time."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    headers_key = models.CharField(max_length=64)
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("remembered column mapping")
        verbose_name_plural = _("remembered column mappings")
        constraints = [
            models.UniqueConstraint(fields=["user", "headers_key"], name="import_mapping_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.headers_key}"
