"""Celery tasks of the duplicate finder (thin: the work is in scan.py)."""

from celery import shared_task

from kehu.dataquality.duplicates.models import DuplicateScan, DuplicateScanStatus
from kehu.dataquality.duplicates.scan import duplicate_scan_run


@shared_task(name="kehu.dataquality.duplicates.tasks.scan_duplicates", ignore_result=True)
def scan_duplicates(scan_id: int | None = None) -> int:
    """Nightly (no id) or on request (the queued scan's id); a scan that already ran is not
    run twice when the task is delivered again."""
    scan = None
    if scan_id is not None:
        scan = DuplicateScan.objects.filter(pk=scan_id, status=DuplicateScanStatus.QUEUED).first()
        if scan is None:
            return 0
    return duplicate_scan_run(scan=scan).groups_found
