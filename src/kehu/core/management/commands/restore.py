"""kehu restore FILE [--yes]: replace the database with an encrypted backup."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kehu.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Replace the whole database with a backup made by `kehu backup`."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The backup file (.kehubak).")
        parser.add_argument(
            "--yes", action="store_true", help="Do not ask for confirmation (for scripts)."
        )

    def handle(self, *args, file: Path, yes: bool, **options):
        def confirm(engine, made) -> bool:
            if yes:
                return True
            question = _(
                "Replace EVERYTHING in the %(engine)s database with the backup of %(made)s? "
                'Type "yes" to continue: '
            ) % {"engine": engine, "made": date_format(made, "Y-m-d H:i")}
            return input(question).strip().lower() == "yes"

        try:
            restored = backup_restore(path=file, confirm=confirm)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        if restored:
            self.stdout.write(_("Restored the database from %(path)s.") % {"path": file})
        else:
            self.stdout.write(_("Nothing changed."))
