"""Where the encryption keys come from, and the key file of the embedded set-up.

Two sources, the first that is configured wins:

* ``KEHU_ENCRYPTION_KEYS="kid1:base64key,kid0:base64key"`` (the first encrypts, every one
  decrypts: rotation adds a key in front and keeps the old ones until ``kehu rotate_keys`` has
  re-encrypted everything) with ``KEHU_BLIND_INDEX_SECRET`` (production, from the environment);
* the key file ``KEHU_KEY_FILE`` (default ``$KEHU_DATA_DIR/encryption.keys``, mode 0600, the
  same two lines in ``NAME=value`` form, so it can be moved to the environment unchanged).

The key file is created only while the database has never held encrypted values (a new
install, or an upgrade from before encryption): a missing key file in front of encrypted data
is a lost key, and making a new one would write values nobody can read together with old ones
nobody can read any more. Start-up then refuses with a message saying what to restore.

The blind-index secret is separate from the encryption keys and never rotates with them:
rotation re-encrypts values, while the indexes (exact mobile, last 4 digits) stay valid.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils import timezone
from django.utils.translation import gettext as _

KID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
KEY_BYTES = 32  # AES-256
# The migration that first writes encrypted values: before it is applied the database holds
# none, so a key file may still be created.
FIRST_ENCRYPTED_MIGRATION = ("customers", "0007_encrypt_contact_mobile")


class KeyConfigurationError(ImproperlyConfigured):
    """No usable key: the message says what is missing and what to do (for the operator)."""


@dataclass
class KeyRing:
    current: str
    keys: dict[str, bytes]
    index_key: bytes
    source: str
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, repr=False)

    def cipher(self, kid: str) -> AESGCM | None:
        if kid not in self.keys:
            return None
        if kid not in self._ciphers:
            self._ciphers[kid] = AESGCM(self.keys[kid])
        return self._ciphers[kid]


def new_kid() -> str:
    """A key id that sorts by creation time and says when the key was made."""
    return "k" + timezone.now().strftime("%Y%m%d%H%M%S")


def new_key_text() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def _decode(text: str, *, what: str, source: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise KeyConfigurationError(
            _("%(what)s in %(source)s is not %(bytes)d bytes in base64.")
            % {"what": what, "source": source, "bytes": KEY_BYTES}
        )
    return raw


def parse_keys(text: str, *, source: str) -> tuple[str, dict[str, bytes]]:
    """``kid:base64,kid:base64`` → (current kid, {kid: key}); the first entry is current."""
    keys: dict[str, bytes] = {}
    current = ""
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        kid, sep, key_text = item.partition(":")
        kid = kid.strip()
        if not sep or not KID_PATTERN.fullmatch(kid):
            raise KeyConfigurationError(
                _(
                    "KEHU_ENCRYPTION_KEYS in %(source)s must look like "
                    '"kid1:base64key,kid0:base64key" (key ids: letters, digits, - and _).'
                )
                % {"source": source}
            )
        if kid in keys:
            raise KeyConfigurationError(
                _("Key id %(kid)s appears twice in %(source)s.") % {"kid": kid, "source": source}
            )
        keys[kid] = _decode(
            key_text, what=_("Encryption key %(kid)s") % {"kid": kid}, source=source
        )
        current = current or kid
    if not keys:
        raise KeyConfigurationError(
            _("KEHU_ENCRYPTION_KEYS in %(source)s holds no key.") % {"source": source}
        )
    return current, keys


def index_key(secret: bytes) -> bytes:
    """The blind-index HMAC key, derived (HKDF) from its own secret so that it is never the
    same bytes as an encryption key, and stays put when encryption keys rotate."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"kehu blind index v1"
    ).derive(secret)


def build_keyring(keys_text: str, index_secret_text: str, *, source: str) -> KeyRing:
    current, keys = parse_keys(keys_text, source=source)
    if not index_secret_text.strip():
        raise KeyConfigurationError(
            _("KEHU_BLIND_INDEX_SECRET is missing in %(source)s.") % {"source": source}
        )
    secret = _decode(index_secret_text, what="KEHU_BLIND_INDEX_SECRET", source=source)
    return KeyRing(current=current, keys=keys, index_key=index_key(secret), source=source)


def key_file() -> Path:
    return Path(settings.KEHU_KEY_FILE)


def read_key_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _sep, value = line.partition("=")
        values[name.strip()] = value.strip()
    return values


def key_file_text(keys_text: str, index_secret_text: str) -> str:
    return (
        "# Kehu encryption keys. Keep a copy apart from the database backups: without this\n"
        "# file the encrypted fields (mobile numbers, ID numbers) cannot be read.\n"
        "# The first key encrypts; the others are older keys still needed to decrypt.\n"
        f"KEHU_ENCRYPTION_KEYS={keys_text}\n"
        f"KEHU_BLIND_INDEX_SECRET={index_secret_text}\n"
    )


def write_key_file(path: Path, text: str, *, exclusive: bool) -> None:
    """Written with mode 0600 from the start (never readable by others, not even briefly);
    a replacement goes through a temporary file and a rename, so a crash leaves the old or
    the new file, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if exclusive:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        return
    temporary = path.with_name(path.name + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def database_holds_encrypted_values() -> bool | None:
    """True once the first encrypting migration ran; None when the database cannot be asked."""
    from django.db import DatabaseError, connection

    try:
        if "django_migrations" not in connection.introspection.table_names():
            return False
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM django_migrations WHERE app = %s AND name = %s",
                list(FIRST_ENCRYPTED_MIGRATION),
            )
            return cursor.fetchone() is not None
    except DatabaseError:
        return None


def _create_key_file(path: Path) -> None:
    holds = database_holds_encrypted_values()
    if holds is None:
        raise KeyConfigurationError(
            _(
                "The encryption key file %(path)s is missing and the database cannot be reached "
                "to tell whether it is a new install. Start the database and try again, or set "
                "KEHU_ENCRYPTION_KEYS and KEHU_BLIND_INDEX_SECRET."
            )
            % {"path": path}
        )
    if holds:
        raise KeyConfigurationError(
            _(
                "The encryption key file %(path)s is missing, but the database holds encrypted "
                "values. Kehu will not start without the key: restore the file from your key "
                "backup, or set KEHU_ENCRYPTION_KEYS and KEHU_BLIND_INDEX_SECRET."
            )
            % {"path": path}
        )
    # FileExistsError: another process made it first, and theirs is used.
    with contextlib.suppress(FileExistsError):
        write_key_file(
            path, key_file_text(f"{new_kid()}:{new_key_text()}", new_key_text()), exclusive=True
        )


def load_keyring() -> KeyRing:
    if settings.KEHU_ENCRYPTION_KEYS:
        return build_keyring(
            settings.KEHU_ENCRYPTION_KEYS,
            settings.KEHU_BLIND_INDEX_SECRET,
            source=_("the environment"),
        )
    path = key_file()
    if not path.exists():
        _create_key_file(path)
    try:
        values = read_key_file(path)
    except OSError as exc:
        raise KeyConfigurationError(
            _("The encryption key file %(path)s cannot be read: %(error)s")
            % {"path": path, "error": exc.strerror or exc}
        ) from exc
    return build_keyring(
        values.get("KEHU_ENCRYPTION_KEYS", ""),
        values.get("KEHU_BLIND_INDEX_SECRET", ""),
        source=str(path),
    )


_keyring: KeyRing | None = None
_file_state: tuple[float, float] | None = None  # (key file mtime, when it was last looked at)
RECHECK_SECONDS = 2.0


def _key_file_mtime() -> float:
    try:
        return key_file().stat().st_mtime
    except OSError:
        return 0.0


def keyring(*, refresh: bool = False) -> KeyRing:
    """The keys, loaded once per process. From a key file, a changed file is picked up within
    a few seconds (or at once with `refresh`, which decryption asks for on an unknown key id):
    `kehu rotate_keys --new-key` adds a key while the web server and worker keep running."""
    global _keyring, _file_state
    if _keyring is not None and not settings.KEHU_ENCRYPTION_KEYS:
        now = time.monotonic()
        if refresh or _file_state is None or now - _file_state[1] > RECHECK_SECONDS:
            mtime = _key_file_mtime()
            if _file_state is not None and mtime != _file_state[0]:
                _keyring = None
            _file_state = (mtime, now)
    if _keyring is None:
        _keyring = load_keyring()
        _file_state = (_key_file_mtime(), time.monotonic())
    return _keyring


def reset_keyring(**kwargs) -> None:
    global _keyring, _file_state
    _keyring = None
    _file_state = None


def _settings_changed(*, setting: str, **kwargs) -> None:
    if setting in {"KEHU_ENCRYPTION_KEYS", "KEHU_BLIND_INDEX_SECRET", "KEHU_KEY_FILE"}:
        reset_keyring()


setting_changed.connect(_settings_changed)
