"""回收站: a deleted record and everything deleted with it, kept as one sealed snapshot.

Deleting really deletes the rows; the snapshot (their raw field values, encrypted with
core.crypto) is what can be restored. So no query anywhere has to remember a "deleted" flag,
and no other app needs a migration. Scope fields (owner, department, customer id) are copied
in clear so the bin can be listed within the viewer's data scope without opening snapshots.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeletedRecordQuerySet(models.QuerySet):
    def visible_to(self, user):
        from kehu.core.access import recycle_bin_scope_q

        return self.filter(recycle_bin_scope_q(user))


class DeletedRecord(models.Model):
    model = models.CharField(_("record type"), max_length=100)  # app_label.model_name
    object_id = models.CharField(_("record id"), max_length=64)
    label = models.CharField(_("record"), max_length=300)
    customer_id = models.BigIntegerField(_("customer id"), null=True, blank=True, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    deleted_at = models.DateTimeField(_("deleted at"), db_index=True)
    purge_after = models.DateTimeField(_("purged after"), db_index=True)
    row_count = models.PositiveIntegerField(_("rows"), default=1)
    # Contacts inside the snapshot, so erasing a person (PIPL) finds them without decrypting
    # every snapshot.
    contact_ids = models.JSONField(default=list, blank=True)
    payload = models.BinaryField()

    objects = DeletedRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("deleted record")
        verbose_name_plural = _("deleted records")
        ordering = ["-deleted_at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"], name="recyclebin_model_object")]

    def __str__(self) -> str:
        return f"{self.model}#{self.object_id} {self.label}"

    @property
    def model_class(self) -> type[models.Model] | None:
        return model_of(self.model)

    @property
    def type_label(self) -> str:
        model = self.model_class
        return str(model._meta.verbose_name) if model else self.model


def model_of(label: str) -> type[models.Model] | None:
    """The model named ``app_label.model_name``; None once its app is gone."""
    try:
        return apps.get_model(label)
    except LookupError:
        return None
