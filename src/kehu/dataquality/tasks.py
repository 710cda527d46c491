from celery import shared_task

from kehu.dataquality.completeness import completeness_check


@shared_task(name="kehu.dataquality.tasks.check_customer_completeness", ignore_result=True)
def check_customer_completeness(customer_id: int) -> None:
    """Enqueued on commit after a customer or its decision maker was created or changed."""
    completeness_check(customer_ids=[customer_id])


@shared_task(name="kehu.dataquality.tasks.check_all_completeness", ignore_result=True)
def check_all_completeness() -> int:
    """Nightly: a pending customer turns overdue with the calendar, without any edit."""
    return completeness_check().checked
