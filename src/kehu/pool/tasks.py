"""Pool jobs: thin wrappers around kehu.pool.services."""

from celery import shared_task


@shared_task(name="kehu.pool.tasks.recycle_pool", ignore_result=True)
def recycle_pool() -> dict[str, int]:
    """Daily at 01:30: return notices, then returns of customers nobody followed up, then the
    pool-return assignment rules where a pool hands customers out automatically."""
    from kehu.pool.services.pool import pool_recycle

    result = pool_recycle()
    return {"noticed": result.noticed, "returned": result.returned, "assigned": result.assigned}
