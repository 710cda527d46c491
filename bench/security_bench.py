"""Security figures of issue 6 (docs/benchmarks.md, "Security"): key rotation speed and the
time of an encrypted backup and of its restore, on a database made by ``kehu generate``.

    KEHU_DATA_DIR=/tmp/secbench/sqlite .venv/bin/python bench/security_bench.py
    KEHU_DATA_DIR=/tmp/secbench/pg DATABASE_URL=postgres://postgres@127.0.0.1:5432/kehu_secbench \\
        .venv/bin/python bench/security_bench.py

(the data first: ``kehu migrate`` then ``kehu generate --customers 100000 --interactions 0``
with the same variables). Rotation: a new key is added to the key file (``kehu rotate_keys
--new-key``, so the database must use the key file, not KEHU_ENCRYPTION_KEYS), then every
contact mobile number is re-encrypted under it, batched as ``kehu rotate_keys`` does, and the
rest of the command (history tables, custom fields, snapshots, TOTP secrets) runs after it.
Backup and restore: ``kehu backup`` into a scratch directory, then ``kehu restore`` of that
file over the same database (the data ends as it was). Prints one JSON line of results.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--skip-rotation", action="store_true")
    parser.add_argument("--skip-backup", action="store_true")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from kehu.core.backup import backup_create, backup_restore
    from kehu.customers.models import Contact, Customer

    result: dict = {
        "engine": connection.vendor,
        "customers": Customer.objects.count(),
        "contacts": Contact.objects.count(),
        "load_before": os.getloadavg(),
    }
    if not args.skip_rotation:
        from kehu.core.crypto.rotation import rotate_column

        call_command("rotate_keys", "--new-key", "--max-rows", "0", stdout=io.StringIO())
        started = time.perf_counter()
        column = rotate_column(Contact, Contact._meta.get_field("mobile"), batch=args.batch)
        seconds = time.perf_counter() - started
        result["rotation_contacts"] = column.rotated
        result["rotation_seconds"] = round(seconds, 2)
        result["rotation_rows_per_s"] = round(column.rotated / seconds) if seconds else None
        started = time.perf_counter()
        call_command("rotate_keys", "--batch", str(args.batch), stdout=io.StringIO())
        result["rotation_rest_seconds"] = round(time.perf_counter() - started, 2)
    if not args.skip_backup:
        with tempfile.TemporaryDirectory(prefix="kehu-secbench-") as scratch:
            started = time.perf_counter()
            path = backup_create(output_dir=Path(scratch))
            result["backup_seconds"] = round(time.perf_counter() - started, 2)
            result["backup_mb"] = round(path.stat().st_size / 1e6, 1)
            started = time.perf_counter()
            backup_restore(path=path)
            result["restore_seconds"] = round(time.perf_counter() - started, 2)
        connection.close()
        assert Customer.objects.count() == result["customers"], "restore lost customers"
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        result["database_mb"] = round(
            Path(settings.DATABASES["default"]["NAME"]).stat().st_size / 1e6, 1
        )
    result["load_after"] = os.getloadavg()
    result["uptime"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()  # noqa: S607
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
