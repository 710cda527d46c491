from celery import shared_task

from kehu.interactions.services import reminders_send_due


@shared_task(name="kehu.interactions.tasks.send_due_reminders", ignore_result=True)
def send_due_reminders() -> int:
    """Run by beat every minute: in-app and email reminders for tasks that fell due."""
    return reminders_send_due()
