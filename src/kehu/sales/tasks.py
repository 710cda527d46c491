from celery import shared_task

from kehu.sales.services.contracts import (
    contracts_mark_expired,
    contracts_send_expiry_notices,
    payments_notify_overdue,
)


@shared_task(name="kehu.sales.tasks.check_contracts", ignore_result=True)
def check_contracts() -> dict[str, int]:
    """Run by beat every morning: expire ended contracts, remind owners of contracts ending
    soon and of overdue payments. Each step is idempotent (safe to run twice)."""
    return {
        "expired": contracts_mark_expired(),
        "expiry_notices": contracts_send_expiry_notices(),
        "overdue_notices": payments_notify_overdue(),
    }
