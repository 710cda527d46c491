from celery import shared_task


@shared_task(name="kehu.recyclebin.tasks.purge_recycle_bin", ignore_result=True)
def purge_recycle_bin() -> int:
    """Daily: items past KEHU_RECYCLE_BIN_DAYS are deleted for good."""
    from kehu.recyclebin.services import recyclebin_purge_expired

    return recyclebin_purge_expired()
