"""`kehu import_customers <file> --user <username> --mode create|update|upsert [--dry-run]`:
the web import's service, run synchronously with a progress bar (large files, scripts)."""

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kehu.accounts.models import User
from kehu.dataquality.imports.models import ImportMode
from kehu.dataquality.imports.reading import ImportFileError
from kehu.dataquality.imports.selectors import import_job_error_file
from kehu.dataquality.imports.services import (
    import_job_create,
    import_job_run,
    import_job_validate,
)


class Command(BaseCommand):
    help = "Import customers with their decision makers from an .xlsx or .csv file."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="Username the import acts as.")
        parser.add_argument("--mode", choices=ImportMode.values, default=ImportMode.CREATE)
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument("--errors", type=Path, help="Where to write the error file (.xlsx).")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['user']}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        try:
            job = import_job_create(by=user, file=path, filename=path.name, mode=options["mode"])
            with tqdm(total=job.total_rows, unit="rows", disable=options["verbosity"] == 0) as bar:

                def progress(done: int, total: int) -> None:
                    bar.update(done - bar.n)

                if options["dry_run"]:
                    import_job_validate(job=job, progress=progress)
                else:
                    import_job_run(job=job, progress=progress)
        except (ImportFileError, ValidationError, PermissionDenied) as exc:
            raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from exc
        job.refresh_from_db()
        verb = "would create" if options["dry_run"] else "created"
        self.stdout.write(
            f"Job {job.pk}: {job.total_rows} rows, {verb} {job.created_count}, "
            f"updated {job.updated_count}, errors {job.error_count}."
        )
        if job.error_count and options["errors"]:
            Path(options["errors"]).write_bytes(import_job_error_file(job))
            self.stdout.write(f"Rows not imported: {options['errors']}")
