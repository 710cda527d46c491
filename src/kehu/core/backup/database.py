"""Back up and restore the configured database (SQLite or PostgreSQL), encrypted.

A restore first reads the whole file through (every chunk authenticated) and only then
touches the database, so a wrong key or a damaged file leaves the database as it was.

The encrypted fields inside (mobile numbers, sensitive custom values, recycle-bin snapshots,
TOTP secrets) stay encrypted under the field encryption keys, which are not in the backup.
Each backup names those keys in its manifest (id and fingerprint, never the key itself), and
a restore refuses, before it changes anything, when this installation lacks one of them or
holds a different key under the same id, or another blind-index secret: the restored
database would otherwise hold values nobody here can read.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from kehu.core.backup.crypto import (
    BackupError,
    backup_key,
    check_key,
    decrypt_chunks,
    encrypt_stream,
    key_fingerprint,
    read_header,
    read_manifest,
)

SUFFIX = ".kehubak"
# Progress bars only for databases big enough to take a while.
PROGRESS_FROM_BYTES = 50 * 1024 * 1024


def _engine(database: dict[str, Any]) -> str:
    vendor = database["ENGINE"].rsplit(".", 1)[-1]
    if vendor == "sqlite3":
        return "sqlite"
    if vendor in {"postgresql", "postgis"}:
        return "postgresql"
    raise BackupError(
        _("Backups support SQLite and PostgreSQL, not %(engine)s.") % {"engine": vendor}
    )


def _progress(total: int | None, description: str) -> tqdm:
    return tqdm(
        total=total,
        unit="B",
        unit_scale=True,
        desc=description,
        disable=total is not None and total < PROGRESS_FROM_BYTES,
    )


def _pg_command(database: dict[str, Any], program: str) -> tuple[list[str], dict[str, str]]:
    command = [program, "--no-password"]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if database.get(key):
            command += [flag, str(database[key])]
    env = dict(os.environ)
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    return command, env


@contextlib.contextmanager
def _private_tempdir(near: Path) -> Iterator[Path]:
    """A directory only the owner can read, for the moments a plaintext copy must exist."""
    path = Path(tempfile.mkdtemp(prefix=".kehu-backup-", dir=near))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _sqlite_copy(source_path: str, target_path: Path) -> None:
    with (
        contextlib.closing(sqlite3.connect(source_path)) as source,
        contextlib.closing(sqlite3.connect(target_path)) as target,
    ):
        source.backup(target)


def encryption_key_manifest() -> dict:
    """The field encryption keys the database's encrypted values need: id → fingerprint."""
    from kehu.core.crypto.keys import keyring

    ring = keyring()
    return {
        "encryption_keys": {kid: key_fingerprint(key) for kid, key in ring.keys.items()},
        "current_key": ring.current,
        "blind_index": key_fingerprint(ring.index_key),
    }


def check_restore_keys(manifest: dict) -> None:
    """Refuse a backup whose encrypted fields this installation could not read."""
    from kehu.core.crypto.keys import KeyConfigurationError, keyring

    needed = manifest.get("encryption_keys") or {}
    if not needed:
        return  # a backup from before the manifest: nothing to compare
    try:
        ring = keyring()
    except KeyConfigurationError as exc:
        raise BackupError(
            _(
                "The encryption keys of this installation cannot be loaded (%(error)s); "
                "nothing was restored."
            )
            % {"error": exc}
        ) from exc
    ours = {kid: key_fingerprint(key) for kid, key in ring.keys.items()}
    missing = sorted(kid for kid in needed if kid not in ours)
    different = sorted(kid for kid in needed if kid in ours and ours[kid] != needed[kid])
    index_differs = manifest.get("blind_index") not in (None, key_fingerprint(ring.index_key))
    if missing or different or index_differs:
        problems = []
        if missing:
            problems.append(_("keys not configured here: %(kids)s") % {"kids": ", ".join(missing)})
        if different:
            problems.append(
                _("keys that differ under the same id: %(kids)s") % {"kids": ", ".join(different)}
            )
        if index_differs:
            problems.append(_("another blind-index secret"))
        raise BackupError(
            _(
                "This backup was made with other encryption keys (%(problems)s): its encrypted "
                "fields could not be read here. Configure the key file (KEHU_KEY_FILE) or "
                "KEHU_ENCRYPTION_KEYS and KEHU_BLIND_INDEX_SECRET of the installation the "
                "backup comes from, then restore again. Nothing was restored."
            )
            % {"problems": "; ".join(problems)}
        )


def backup_create(*, output_dir: Path | None = None, database: dict | None = None) -> Path:
    """Write an encrypted backup of the database (settings' default unless given) into
    `output_dir` and return its path."""
    database = database or settings.DATABASES["default"]
    engine = _engine(database)
    key = backup_key(create=True)
    manifest = encryption_key_manifest()
    output_dir = Path(output_dir or settings.KEHU_BACKUP_DIR)
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S-%f")
    target = output_dir / f"kehu-{stamp}{SUFFIX}"
    partial = target.with_suffix(".partial")
    try:
        if engine == "sqlite":
            with _private_tempdir(output_dir) as scratch:
                copy = scratch / "copy.sqlite3"
                _sqlite_copy(str(database["NAME"]), copy)
                with copy.open("rb") as source, partial.open("wb") as out:
                    _encrypt(
                        source,
                        out,
                        key=key,
                        engine=engine,
                        total=copy.stat().st_size,
                        manifest=manifest,
                    )
        else:
            command, env = _pg_command(database, "pg_dump")
            command += ["--format=custom", "--dbname", str(database["NAME"])]
            with (
                subprocess.Popen(  # noqa: S603 (fixed program, arguments from settings)
                    command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
                ) as dump,
                partial.open("wb") as out,
            ):
                _encrypt(dump.stdout, out, key=key, engine=engine, total=None, manifest=manifest)
                errors = dump.stderr.read().decode(errors="replace")
            if dump.returncode:
                raise BackupError(_("pg_dump failed: %(error)s") % {"error": errors.strip()})
        partial.chmod(0o600)
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _encrypt(
    source: BinaryIO,
    out: BinaryIO,
    *,
    key: bytes,
    engine: str,
    total: int | None,
    manifest: dict,
):
    with _progress(total, _("Backing up")) as bar:
        encrypt_stream(source, out, key=key, engine=engine, progress=bar.update, manifest=manifest)


def backups_prune(*, directory: Path | None = None, keep: int | None = None) -> list[Path]:
    """Delete all but the newest `keep` backups (by the time in their names)."""
    directory = Path(directory or settings.KEHU_BACKUP_DIR)
    keep = settings.KEHU_BACKUP_KEEP if keep is None else keep
    backups = sorted(directory.glob(f"kehu-*{SUFFIX}"))
    doomed = backups[: max(0, len(backups) - keep)]
    for path in doomed:
        path.unlink()
    return doomed


def backup_describe(path: Path) -> tuple[str, str]:
    """(engine, key id) from the header of a backup file."""
    with path.open("rb") as source:
        _raw, engine, kid, _prefix, _chunk = read_header(source)
    return engine, kid


def _decrypt_to(path: Path, key: bytes, sink: Callable[[bytes], object]) -> None:
    total = path.stat().st_size
    with path.open("rb") as source, _progress(total, _("Checking")) as bar:
        for chunk in decrypt_chunks(source, key=key):
            sink(chunk)
            bar.update(len(chunk))


def backup_restore(
    *,
    path: Path,
    confirm: Callable[[str, datetime | None], bool] = lambda engine, made: True,
    database: dict | None = None,
) -> bool:
    """Replace the database with the backup at `path`; False when `confirm` says no.

    Checked before anything changes: the file is a backup of this kind of database, made with
    the configured backup key, its encrypted fields need encryption keys configured here, and
    every chunk authenticates."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("There is no backup file at %(path)s.") % {"path": path})
    database = database or settings.DATABASES["default"]
    engine = _engine(database)
    file_engine, kid = backup_describe(path)
    if file_engine != engine:
        raise BackupError(
            _("This is a %(file)s backup; the configured database is %(engine)s.")
            % {"file": file_engine, "engine": engine}
        )
    key = backup_key(create=False)
    check_key(kid, key)
    with path.open("rb") as source:
        check_restore_keys(read_manifest(source, key=key))
    made = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone())
    if not confirm(engine, made):
        return False
    connections.close_all()
    if engine == "sqlite":
        _restore_sqlite(path, key, database)
    else:
        _restore_postgresql(path, key, database)
    return True


def _restore_sqlite(path: Path, key: bytes, database: dict[str, Any]) -> None:
    target = Path(database["NAME"])
    with _private_tempdir(target.parent) as scratch:
        copy = scratch / "restore.sqlite3"
        with copy.open("wb") as out:
            _decrypt_to(path, key, out.write)
        with contextlib.closing(sqlite3.connect(copy)) as check:
            if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(_("The backup holds a damaged database; nothing was restored."))
        # The backup API writes every page into the live file under its lock: readers see
        # the old database or the restored one, never a mix.
        _sqlite_copy(str(copy), target)


def _restore_postgresql(path: Path, key: bytes, database: dict[str, Any]) -> None:
    _decrypt_to(path, key, lambda chunk: None)  # authenticate everything first
    command, env = _pg_command(database, "pg_restore")
    command += [
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        "--dbname",
        str(database["NAME"]),
    ]
    with subprocess.Popen(  # noqa: S603 (fixed program, arguments from settings)
        command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as restore:
        with path.open("rb") as source:
            for chunk in decrypt_chunks(source, key=key):
                restore.stdin.write(chunk)
        restore.stdin.close()
        errors = restore.stderr.read().decode(errors="replace")
    if restore.returncode:
        raise BackupError(_("pg_restore failed: %(error)s") % {"error": errors.strip()})
