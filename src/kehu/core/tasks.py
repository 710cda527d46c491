from celery import shared_task

from kehu.core.services import heartbeat_record


@shared_task(name="kehu.core.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Sent by beat every minute and run by a worker: proves both are alive (health page)."""
    heartbeat_record(name="worker")
