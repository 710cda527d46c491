"""Customer import jobs (spec §5): upload, map columns, dry run, write in chunks, roll back.

Interface used by the UI, the API, the Celery task, the management command and the benchmarks:

    job = import_job_create(by=user, file=<django File or path>, filename=str, mode="create",
                            mapping=None)
    import_job_validate(job=job)            # dry run, synchronous; fills error counts
    import_job_run(job=job, progress=None)  # synchronous write; progress(done, total)

A run writes chunk by chunk; each chunk, its error rows and the job's checkpoint are committed
together, so running a job again after a crash continues after the last committed chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.permissions import can_import, is_administrator
from kehu.dataquality.imports.mapping import mapping_problems, mapping_remember, mapping_suggest
from kehu.dataquality.imports.models import (
    ImportJob,
    ImportMode,
    ImportRowError,
    ImportStatus,
)
from kehu.dataquality.imports.reading import ImportFileError, Sheet, read_sheet
from kehu.dataquality.imports.rows import RowChecker
from kehu.dataquality.imports.template import notes_texts
from kehu.dataquality.imports.writing import changed_since_import, rollback_records, write_chunk

CHUNK_SIZE = 2000
Progress = Callable[[int, int], None]


def _read_bytes(file) -> bytes:
    if isinstance(file, str | Path):
        return Path(file).read_bytes()
    file.seek(0)
    return file.read()


def _size_of(file) -> int:
    if isinstance(file, str | Path):
        return Path(file).stat().st_size
    return file.size


def import_job_create(
    *,
    by: User,
    file: File | str | Path,
    filename: str,
    mode: str = ImportMode.CREATE,
    mapping: dict[str, str] | None = None,
) -> ImportJob:
    """Store the upload and read its header row; raises ImportFileError (translated) for a
    file that cannot be imported. Without `mapping`, the remembered or automatic one is used."""
    if not can_import(by):
        raise PermissionDenied
    if mode not in ImportMode.values:
        raise ValidationError({"mode": _("Choose create, update or upsert.")})
    if _size_of(file) > settings.KEHU_IMPORT_MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than %(limit)d MB.")
            % {"limit": settings.KEHU_IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    data = _read_bytes(file)
    sheet = read_sheet(data, filename, skip_rows=notes_texts())
    if not sheet.rows:
        raise ImportFileError(_("The file has a header row but no data rows."))
    if mapping is None:
        mapping = mapping_suggest(user=by, headers=sheet.headers)
    job = ImportJob(
        created_by=by,
        filename=Path(filename).name[:255],
        mode=mode,
        headers=sheet.headers,
        mapping={h: k for h, k in mapping.items() if h in sheet.headers and k},
        total_rows=len(sheet.rows),
    )
    job.file.save(Path(filename).name, ContentFile(data), save=False)
    job.save()
    return job


def import_job_set_mapping(*, job: ImportJob, by: User, mapping: dict[str, str], mode: str) -> None:
    """The user's choice of target per column; remembered for the next file with these
    headers. Raises ValidationError listing what the mapping lacks."""
    if not job.can_remap:
        raise ValidationError(_("This import has already started."))
    mapping = {h: k for h, k in mapping.items() if h in job.headers and k}
    problems = mapping_problems(mapping, mode=mode)
    if problems:
        raise ValidationError(problems)
    job.mapping, job.mode, job.status = mapping, mode, ImportStatus.UPLOADED
    job.save(update_fields=["mapping", "mode", "status", "updated_at"])
    mapping_remember(user=by, headers=job.headers, mapping=mapping)


def _sheet(job: ImportJob) -> Sheet:
    with job.file.open("rb") as handle:
        return read_sheet(handle.read(), job.filename, skip_rows=notes_texts())


def _process(job: ImportJob, *, write: bool, progress: Progress | None) -> ImportJob:
    """Check (and with `write`, write) the rows after the checkpoint, chunk by chunk."""
    problems = mapping_problems(job.mapping, mode=job.mode)
    if problems:
        raise ValidationError(problems)
    sheet = _sheet(job)
    total = len(sheet.rows)
    start = job.checkpoint if write else 0
    checker = RowChecker(
        by=job.created_by, mode=job.mode, headers=sheet.headers, mapping=job.mapping
    )
    passed = _dry_run_passed(job, sheet, checker) if write and start == 0 else frozenset()
    if start == 0:
        job.row_errors.all().delete()
        job.processed_rows = job.created_count = job.updated_count = job.error_count = 0
    job.total_rows, job.is_dry_run = total, not write
    job.started_at = job.started_at or timezone.now()
    job.checked_fingerprint = ""
    job.save()
    for offset in range(start, total, CHUNK_SIZE):
        end = min(offset + CHUNK_SIZE, total)
        results = checker.check_chunk(sheet.rows[offset:end], passed=passed)
        with transaction.atomic():
            created, updated = (0, 0)
            if write:
                created, updated = write_chunk(results, job=job, by=job.created_by)
            else:
                created = sum(1 for r in results if r.ok and r.existing is None)
                updated = sum(1 for r in results if r.ok and r.existing is not None)
            bad = [r for r in results if not r.ok]
            ImportRowError.objects.bulk_create(
                ImportRowError(job=job, row_number=r.number, values=r.cells, errors=r.errors)
                for r in bad
            )
            job.processed_rows = end
            job.checkpoint = end if write else 0
            job.created_count += created
            job.updated_count += updated
            job.error_count += len(bad)
            job.save(
                update_fields=[
                    "processed_rows",
                    "checkpoint",
                    "created_count",
                    "updated_count",
                    "error_count",
                    "updated_at",
                ]
            )
        if progress is not None:
            progress(end, total)
    job.status = ImportStatus.DONE if write else ImportStatus.VALIDATED
    job.finished_at = timezone.now() if write else None
    job.checked_fingerprint = "" if write else checker.fingerprint()
    job.save(update_fields=["status", "finished_at", "checked_fingerprint", "updated_at"])
    return job


def _dry_run_passed(job: ImportJob, sheet: Sheet, checker: RowChecker) -> frozenset[int]:
    """Numbers of the rows the job's complete dry run found without error, when nothing its
    verdicts depend on (mapping, mode, lookups, rules: the checker's fingerprint) changed
    since; otherwise none, and every row is validated again."""
    complete = job.is_dry_run and job.processed_rows == len(sheet.rows)
    if not (
        complete and job.checked_fingerprint and job.checked_fingerprint == checker.fingerprint()
    ):
        return frozenset()
    failed = set(job.row_errors.values_list("row_number", flat=True))
    return frozenset(number for number, _cells in sheet.rows if number not in failed)


def import_job_validate(*, job: ImportJob, progress: Progress | None = None) -> ImportJob:
    """Dry run: every row checked exactly as a run would, errors stored, nothing written."""
    if not (job.can_remap or job.status == ImportStatus.VALIDATING):
        raise ValidationError(_("This import has already started."))
    job.status = ImportStatus.VALIDATING
    job.save(update_fields=["status", "updated_at"])
    return _failing_safely(job, lambda: _process(job, write=False, progress=progress))


def import_job_run(*, job: ImportJob, progress: Progress | None = None) -> ImportJob:
    """Write the good rows; idempotent: a finished job is left alone, a crashed one resumes."""
    job.refresh_from_db()
    if job.status in (ImportStatus.DONE, ImportStatus.ROLLING_BACK, ImportStatus.ROLLED_BACK):
        return job
    job.status = ImportStatus.RUNNING
    job.message = ""
    job.save(update_fields=["status", "message", "updated_at"])
    return _failing_safely(job, lambda: _process(job, write=True, progress=progress))


def _failing_safely(job: ImportJob, work: Callable[[], ImportJob]) -> ImportJob:
    """A failure is recorded on the job (the page shows it) and raised again."""
    try:
        return work()
    except (ValidationError, ImportFileError) as exc:
        message = "; ".join(getattr(exc, "messages", [str(exc)]))
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, message=message)
        raise
    except Exception:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED,
            message=_("The import stopped unexpectedly; run it again to continue."),
        )
        raise


def import_job_start(*, job: ImportJob, by: User, dry_run: bool) -> None:
    """Queue the dry run or the import for the worker (after this transaction commits)."""
    from kehu.dataquality.imports.tasks import run_import_job, validate_import_job

    if job.created_by_id != by.pk and not is_administrator(by):
        raise PermissionDenied
    if dry_run:
        if not job.can_remap:
            raise ValidationError(_("This import has already started."))
        job.status = ImportStatus.VALIDATING
        task = validate_import_job
    else:
        if job.status in (ImportStatus.DONE, ImportStatus.ROLLED_BACK, ImportStatus.RUNNING):
            raise ValidationError(_("This import has already run."))
        job.status = ImportStatus.QUEUED
        task = run_import_job
    problems = mapping_problems(job.mapping, mode=job.mode)
    if problems:
        raise ValidationError(problems)
    job.processed_rows = job.checkpoint
    job.save(update_fields=["status", "processed_rows", "updated_at"])
    transaction.on_commit(lambda: task.delay(job.pk))


def import_job_rollback(*, job: ImportJob, by: User) -> ImportJob:
    """Undo a finished import in one transaction: delete what it created, restore what it
    updated. Refused, with the codes, when any of those customers changed since."""
    if job.created_by_id != by.pk and not is_administrator(by):
        raise PermissionDenied
    if job.status != ImportStatus.DONE:
        raise ValidationError(_("Only a finished import can be rolled back."))
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportStatus.DONE:
            raise ValidationError(_("Only a finished import can be rolled back."))
        changed = changed_since_import(locked)
        if changed:
            raise ValidationError(
                _(
                    "Nothing was rolled back: these customers were changed or deleted after "
                    "the import: %(codes)s."
                )
                % {"codes": "、".join(changed)}
            )
        try:
            rollback_records(locked, by=by)
        except ProtectedError as exc:
            raise ValidationError(
                _("Nothing was rolled back: records were added to imported customers since.")
            ) from exc
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.ROLLED_BACK,
            rolled_back_at=timezone.now(),
            rolled_back_by=by,
            updated_at=timezone.now(),
        )
    job.refresh_from_db()
    return job
