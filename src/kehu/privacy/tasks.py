"""Privacy jobs: the retention rule, run nightly; does nothing unless a period is set."""

from celery import shared_task
from django.conf import settings

from kehu.privacy.services import retention_anonymise_lost


@shared_task(name="kehu.privacy.tasks.anonymise_lost_customers")
def anonymise_lost_customers() -> int:
    return retention_anonymise_lost(years=settings.KEHU_RETENTION_LOST_YEARS)
