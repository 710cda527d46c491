"""Encrypted backups of the whole database (``kehu backup`` / ``kehu restore``).

SQLite is copied with the online backup API (consistent while the app keeps writing);
PostgreSQL with ``pg_dump -Fc`` and put back with ``pg_restore --clean`` in one transaction.
Either dump is encrypted as it is written (see ``crypto``), so no backup file holds plaintext.
"""

from kehu.core.backup.crypto import BackupError
from kehu.core.backup.database import backup_create, backup_restore, backups_prune

__all__ = ["BackupError", "backup_create", "backup_restore", "backups_prune"]
