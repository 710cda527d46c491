"""`kehu rotate_keys`: re-encrypt every encrypted value under the current key: encrypted
text and JSON columns (history tables included) and binary columns sealed with
``encrypt_bytes`` (recycle-bin snapshots).

Rotation, without downtime:

1. Make a new key the current one. Key file (embedded set-up): ``kehu rotate_keys --new-key``
   puts a new key first and keeps the old ones; running processes pick the file up within
   seconds. Environment: put ``newkid:base64key`` first in KEHU_ENCRYPTION_KEYS, keep the old
   ones after it, and restart the processes.
2. ``kehu rotate_keys`` re-encrypts rows still under an old key, in batches, each batch its own
   transaction (interrupt it at will; running it again goes on). Values written meanwhile are
   under the new key already.
3. When it reports nothing left under old keys, the old keys may be removed.
"""

from __future__ import annotations

from functools import partial

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from kehu.core.crypto import DecryptionError
from kehu.core.crypto.fields import PartlyEncryptedJSONField, encrypted_columns
from kehu.core.crypto.keys import (
    KeyConfigurationError,
    key_file,
    key_file_text,
    keyring,
    new_key_text,
    new_kid,
    read_key_file,
    reset_keyring,
    write_key_file,
)
from kehu.core.crypto.rotation import (
    rotate_bytes_column,
    rotate_column,
    rotate_json_column,
    rows_to_rotate,
    rows_to_rotate_bytes,
    sealed_bytes_columns,
)


class Command(BaseCommand):
    help = _("Re-encrypt stored sensitive values under the current encryption key, in batches.")

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000, help=_("rows per transaction"))
        parser.add_argument(
            "--new-key",
            action="store_true",
            help=_("first add a new current key to the key file (keeps the old keys)"),
        )
        parser.add_argument(
            "--max-rows",
            type=int,
            default=None,
            help=_("stop after this many rows per column (run again to go on)"),
        )

    def handle(self, *args, batch: int, new_key: bool, max_rows: int | None, **options):
        if batch < 1:
            raise CommandError(_("--batch must be at least 1."))
        try:
            if new_key:
                self.add_key()
            ring = keyring()
        except KeyConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(_("Current key: %(kid)s") % {"kid": ring.current})
        left = False
        columns = [(m, f, rotate_column, rows_to_rotate) for m, f in encrypted_columns()]
        columns += [
            (m, f, rotate_json_column, rows_to_rotate)
            for m, f in encrypted_columns(PartlyEncryptedJSONField)
        ]
        columns += [
            (m, f, partial(rotate_bytes_column, spec=spec), rows_to_rotate_bytes)
            for m, f, spec in sealed_bytes_columns()
        ]
        for model, field, rotate, count in columns:
            total = count(model, field)
            label = f"{model._meta.db_table}.{field.column}"
            with tqdm(total=total, desc=label, unit=_("rows"), disable=total == 0) as bar:
                try:
                    result = rotate(
                        model, field, batch=batch, max_rows=max_rows, on_batch=bar.update
                    )
                except DecryptionError as exc:
                    raise CommandError(
                        _("%(column)s: %(error)s Nothing after this batch was changed.")
                        % {"column": label, "error": exc}
                    ) from exc
            left |= not result.done
            self.stdout.write(
                _("%(column)s: %(rotated)d re-encrypted, %(skipped)d changed meanwhile")
                % {"column": label, "rotated": result.rotated, "skipped": result.skipped}
            )
        if left:
            self.stdout.write(_("Stopped at --max-rows; run the command again to go on."))
        else:
            self.stdout.write(
                self.style.SUCCESS(_("Every value is under key %(kid)s.") % {"kid": ring.current})
            )

    def add_key(self) -> None:
        from django.conf import settings

        if settings.KEHU_ENCRYPTION_KEYS:
            raise CommandError(
                _(
                    "The keys come from KEHU_ENCRYPTION_KEYS: put a new kid:key first there, "
                    "keep the old ones after it, restart Kehu, then run this command without "
                    "--new-key."
                )
            )
        ring = keyring()  # also checks the file is readable and complete
        path = key_file()
        values = read_key_file(path)
        kid = new_kid()
        if kid in ring.keys:
            raise CommandError(
                _("A key %(kid)s exists already; try again in a second.") % {"kid": kid}
            )
        keys = f"{kid}:{new_key_text()},{values['KEHU_ENCRYPTION_KEYS']}"
        write_key_file(
            path, key_file_text(keys, values["KEHU_BLIND_INDEX_SECRET"]), exclusive=False
        )
        reset_keyring()
        self.stdout.write(_("Added key %(kid)s to %(path)s.") % {"kid": kid, "path": path})
