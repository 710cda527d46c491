"""Celery tasks of imports: thin, take the job id, safe to run twice."""

from celery import shared_task

from kehu.dataquality.imports.selectors import import_job_by_id
from kehu.dataquality.imports.services import import_job_run, import_job_validate


@shared_task(name="kehu.dataquality.imports.tasks.validate_import_job", ignore_result=True)
def validate_import_job(job_id: int) -> None:
    job = import_job_by_id(job_id)
    if job is not None:
        import_job_validate(job=job)


@shared_task(name="kehu.dataquality.imports.tasks.run_import_job", ignore_result=True)
def run_import_job(job_id: int) -> None:
    """Resumes after the last committed chunk when a worker died mid-job; a finished job is
    left alone."""
    job = import_job_by_id(job_id)
    if job is not None:
        import_job_run(job=job)
