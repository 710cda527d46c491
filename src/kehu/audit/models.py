"""Audit events that are neither a history row nor one of the existing access logs: reverts,
history purges, data-subject requests carried out, retention runs. Every row is kept unless the
history retention setting says otherwise."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")
    UNMASK = "unmask", _("Unmasked")
    EXPORT = "export", _("Exported")
    LOGIN = "login", _("Sign-in")
    PERMISSION = "permission", _("Permission change")
    REVERT = "revert", _("Reverted")
    PRIVACY = "privacy", _("Personal data request")
    PURGE = "purge", _("History purged")


class AuditEvent(models.Model):
    """One logged operation. ``target_model``/``target_id`` name the record it was about;
    ``detail`` holds ids and counts only, never personal data (it must survive an erasure)."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    target_model = models.CharField(_("record type"), max_length=64, blank=True)
    target_id = models.CharField(_("record"), max_length=64, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_model", "target_id"], name="auditevent_target"),
            models.Index(fields=["actor", "at"], name="auditevent_actor_at"),
            models.Index(fields=["action", "at"], name="auditevent_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_model}:{self.target_id}"
