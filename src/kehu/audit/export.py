"""The audit feed as CSV: masked numbers (as on the page), formulas neutralised, logged."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.audit.selectors import FeedFilter, FeedRow, audit_feed
from kehu.dataquality.export import neutralise
from kehu.dataquality.models import ExportFormat, ExportLog

EXPORT_MAX_ROWS = 20_000


def _changes_text(row: FeedRow) -> str:
    return "; ".join(f"{c.label}: {c.old} → {c.new}" for c in row.changes)


def audit_export_csv(
    *, flt: FeedFilter, by, filters: dict[str, Any], ip_address: str | None
) -> tuple[bytes, int]:
    """The filtered feed (at most EXPORT_MAX_ROWS rows, newest first) and its row count."""
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel reads UTF-8 CSV with Chinese text only with a BOM
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Time"),
            _("User"),
            _("Action"),
            _("Record type"),
            _("Record"),
            _("Name"),
            _("Detail"),
            _("Changes"),
        ]
    )
    cursor, count = None, 0
    while count < EXPORT_MAX_ROWS:
        page = audit_feed(flt=flt, cursor=cursor, size=min(500, EXPORT_MAX_ROWS - count))
        for row in page.rows:
            writer.writerow(
                neutralise(value)
                for value in (
                    timezone.localtime(row.at).strftime("%Y-%m-%d %H:%M:%S"),
                    row.actor.username if row.actor else "",
                    row.action_label,
                    row.record_type,
                    row.record_id,
                    row.record_label,
                    row.detail,
                    _changes_text(row),
                )
            )
        count += len(page.rows)
        cursor = page.next_cursor
        if cursor is None:
            break
    ExportLog.objects.create(
        user=by,
        file_format=ExportFormat.CSV,
        filters={"audit": filters},
        row_count=count,
        unmasked=False,
        ip_address=ip_address,
    )
    return buffer.getvalue().encode("utf-8"), count
