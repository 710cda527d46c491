from celery import shared_task

from kehu.tags.classification import classification_compute


@shared_task(name="kehu.tags.tasks.classify_customer", ignore_result=True)
def classify_customer(customer_id: int) -> None:
    """Enqueued on commit after a change that moves a customer's levels."""
    classification_compute(customer_ids=[customer_id])


@shared_task(name="kehu.tags.tasks.classify_all", ignore_result=True)
def classify_all() -> int:
    """Nightly: levels move with time (a 90-day window slides) even when nothing is edited."""
    return classification_compute()
