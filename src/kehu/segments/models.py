"""Segments (客户分群 / 目标客户清单): a saved filter over customers, shared with departments
or colleagues. The definition is data (segments.conditions checks and compiles it); the rows a
segment yields are always cut to the viewer's own data scope, so sharing a segment shares the
question, never the answers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kehu.core.models import VersionedModel


class SegmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> SegmentQuerySet:
        """The user's own segments and those shared with them or with their department (or a
        department above it)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        from kehu.accounts.selectors import department_ancestor_ids

        q = Q(owner_id=user.pk) | Q(
            id__in=Segment.shared_users.through.objects.filter(user_id=user.pk).values("segment_id")
        )
        if user.department_id:
            q |= Q(
                id__in=Segment.shared_departments.through.objects.filter(
                    department_id__in=department_ancestor_ids(user.department_id)
                ).values("segment_id")
            )
        return self.filter(q)


class Segment(VersionedModel):
    name = models.CharField(_("segment name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="segments",
    )
    definition = models.JSONField(
        _("conditions"),
        default=dict,
        help_text=_(
            "Groups of conditions: a customer matches when all conditions of any group hold."
        ),
    )
    shared_departments = models.ManyToManyField(
        "accounts.Department",
        verbose_name=_("shared with departments"),
        blank=True,
        related_name="+",
        help_text=_("Members of these departments and the departments below them."),
    )
    shared_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shared with colleagues"),
        blank=True,
        related_name="shared_segments",
    )

    history = HistoricalRecords(excluded_fields=["version"], user_related_name="+")
    objects = SegmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["owner", "name"], name="segment_owner_name")]

    def __str__(self) -> str:
        return self.name
