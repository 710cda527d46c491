"""Reads of import jobs: a user sees their own jobs, administrators all."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from kehu.accounts.models import User
from kehu.core.permissions import is_administrator
from kehu.dataquality.imports.models import ImportJob, ImportRowError
from kehu.dataquality.imports.template import error_workbook


def import_jobs_visible_to(user: User) -> QuerySet[ImportJob]:
    jobs = ImportJob.objects.select_related("created_by", "rolled_back_by")
    if is_administrator(user):
        return jobs
    return jobs.filter(created_by=user)


def access_import_job(user: User, pk: int | str) -> ImportJob:
    """The job, or 404 alike for "no such job" and "not yours"."""
    try:
        return import_jobs_visible_to(user).get(pk=int(pk))
    except (ImportJob.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def import_job_by_id(pk: int) -> ImportJob | None:
    """For the worker, which acts for the job's creator."""
    return ImportJob.objects.select_related("created_by").filter(pk=pk).first()


def import_job_errors(job: ImportJob, *, limit: int | None = None) -> list[ImportRowError]:
    errors = job.row_errors.order_by("row_number")
    return list(errors[:limit] if limit else errors)


def import_job_error_file(job: ImportJob) -> bytes:
    """The rows not imported, as .xlsx with a reason per bad cell."""
    errors = job.row_errors.order_by("row_number").iterator(chunk_size=2000)
    return error_workbook(job.headers, errors)
