"""Shared building blocks: timestamps, optimistic versions, code sequences, heartbeats."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerScopedQuerySet(models.QuerySet):
    """Rows that belong to a customer (``customer`` foreign key) are visible exactly when
    their customer is; the rule itself lives in core.access."""

    def visible_to(self, user):
        from kehu.core.access import customer_scope_q

        return self.filter(customer_scope_q(user, prefix="customer__"))


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("last updated"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """An editable record: `version` grows on every write so a stale edit can be refused."""

    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        abstract = True


class CodeSequence(models.Model):
    """The last serial handed out per code prefix (e.g. ``CX202611``); never goes back."""

    name = models.CharField(max_length=64, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("code sequence")
        verbose_name_plural = _("code sequences")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class Heartbeat(models.Model):
    """Last time each background process (worker, scheduler) proved it is alive."""

    name = models.CharField(max_length=32, primary_key=True)
    beat_at = models.DateTimeField()

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name}@{self.beat_at:%Y-%m-%d %H:%M:%S}"
