from celery import shared_task

from kehu.core.backup import backup_create, backups_prune
from kehu.core.services import heartbeat_record


@shared_task(name="kehu.core.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Sent by beat every minute and run by a worker: proves both are alive (health page)."""
    heartbeat_record(name="worker")


@shared_task(name="kehu.core.tasks.backup_database", ignore_result=True)
def backup_database() -> str:
    """The scheduled backup (beat, daily at 03:15 unless KEHU_BACKUP_SCHEDULED=0)."""
    path = backup_create()
    backups_prune(directory=path.parent)
    return str(path)
