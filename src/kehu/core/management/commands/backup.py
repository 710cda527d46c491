"""kehu backup [--output DIR]: an encrypted copy of the whole database, then the oldest
backups beyond KEHU_BACKUP_KEEP are deleted."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from kehu.core.backup import BackupError, backup_create, backups_prune
from kehu.core.backup.crypto import backup_key, key_id


class Command(BaseCommand):
    help = "Write an encrypted backup of the database (SQLite or PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help=f"Directory for the backup (default {settings.KEHU_BACKUP_DIR}).",
        )

    def handle(self, *args, output: Path | None, **options):
        try:
            path = backup_create(output_dir=output)
            removed = backups_prune(directory=path.parent)
            kid = key_id(backup_key(create=False))
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("Backup written: %(path)s (%(size)s, key %(key)s)")
            % {"path": path, "size": filesizeformat(path.stat().st_size), "key": kid}
        )
        for old in removed:
            self.stdout.write(_("Deleted old backup: %(path)s") % {"path": old})
