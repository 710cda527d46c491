"""Audit jobs: the history purge, only when a retention period is set."""

from celery import shared_task
from django.conf import settings

from kehu.audit.services import history_purge


@shared_task(name="kehu.audit.tasks.purge_old_history")
def purge_old_history() -> int:
    return history_purge(retention_days=settings.KEHU_HISTORY_RETENTION_DAYS)
