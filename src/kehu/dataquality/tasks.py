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


@shared_task(name="kehu.dataquality.tasks.remind_stale_customers", ignore_result=True)
def remind_stale_customers() -> int:
    """Daily: owners of customers nobody touched for N days get one reminder."""
    from kehu.dataquality.review import stale_reminders_send

    return stale_reminders_send()
