"""What changed since a stale edit was opened: the "view of what changed" that goes with every
refused stale edit (form pages and the API's 409).

A record's history (django-simple-history) has one row per save and every save of an editable
record raises `version` by one, so the state the editor read is the history row `behind` saves
before the newest. History excludes some fields (masked numbers stay masked here too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models


@dataclass
class FieldChange:
    field: str
    before: str
    after: str


@dataclass
class StaleChanges:
    changed_by: str
    changed_at: Any
    changes: list[FieldChange] = field(default_factory=list)

    def as_api(self) -> dict[str, Any]:
        return {
            "changed_by": self.changed_by,
            "changed_at": self.changed_at.isoformat() if self.changed_at else None,
            "changes": [
                {"field": c.field, "before": c.before, "after": c.after} for c in self.changes
            ],
        }


def stale_changes(record: models.Model, since_version: int | str | None) -> StaleChanges | None:
    """The saves made to `record` after its version `since_version`, merged into one list of
    field changes (before = as the editor read it, after = as it is now)."""
    from kehu.customers.selectors import _display

    history = getattr(type(record), "history", None)
    try:
        behind = int(record.version) - int(since_version)
    except (TypeError, ValueError):
        return None
    if history is None or behind <= 0:
        return None
    records = list(
        history.filter(**{record._meta.pk.attname: record.pk})
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: behind + 1]
    )
    if not records:
        return None
    newest = records[0]
    user = newest.history_user
    result = StaleChanges(
        changed_by=(user.display_name if user else ""), changed_at=newest.history_date
    )
    if len(records) == behind + 1:
        for change in newest.diff_against(records[behind]).changes:
            verbose = type(record)._meta.get_field(change.field).verbose_name
            result.changes.append(
                FieldChange(
                    field=str(verbose),
                    before=_display(newest, change.field, change.old),
                    after=_display(newest, change.field, change.new),
                )
            )
    return result
