"""The history field every audited model uses."""

from __future__ import annotations

from simple_history.models import HistoricalRecords


class AuditedHistoricalRecords(HistoricalRecords):
    """History that skips saves touching only excluded fields: a sign-in writes
    ``last_login`` with ``update_fields`` and must not add a change to the user's history."""

    def post_save(self, instance, created, using=None, **kwargs):
        update_fields = kwargs.get("update_fields")
        if not created and update_fields and set(update_fields) <= set(self.excluded_fields):
            return
        super().post_save(instance, created, using=using, **kwargs)
