"""The encrypted backup file: a header, then AES-256-GCM chunks, streamed.

Header: magic ``KEHUBAK`` + version (1 byte), engine (1 byte: 1 SQLite, 2 PostgreSQL),
key id (8 ASCII hex: the start of the key's SHA-256), nonce prefix (8 bytes), chunk size
(4 bytes). Version 2 then has the manifest: its length (4 bytes) and an encrypted JSON object
(nonce: the prefix + 0xFFFFFFFF; associated data: the header + ``manifest``) naming the
encryption keys (id and fingerprint) the database's encrypted fields need, so a restore can
refuse, before it touches anything, a backup whose fields this installation cannot decrypt.
Each chunk: its length (4 bytes), then ciphertext with the GCM tag. A chunk's nonce
is the prefix + its number; its associated data is the header + its number + a last-chunk
flag, so reordered, dropped, truncated or edited chunks all fail authentication.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils.translation import gettext as _

MAGIC = b"KEHUBAK"
VERSION = 2
READABLE_VERSIONS = (1, 2)  # 1: before the manifest
_MANIFEST_INDEX = 0xFFFFFFFF  # a nonce no chunk uses
_MANIFEST_MAX = 64 * 1024
ENGINES = {"sqlite": 1, "postgresql": 2}
CHUNK_SIZE = 1024 * 1024
_HEADER = struct.Struct(">7sBB8s8sI")
_LENGTH = struct.Struct(">I")
_TAG = 16


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


def _decode_key(text: str, source: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise BackupError(
            _("The backup key in %(source)s is not 32 bytes in base64.") % {"source": source}
        )
    return key


def key_file() -> Path:
    return Path(settings.DATA_DIR) / "backup.key"


def backup_key(*, create: bool) -> bytes:
    """KEHU_BACKUP_KEY, else the key file in the data directory (made on first backup,
    readable by its owner only). Keep a copy elsewhere: without it no backup can be read."""
    if os.environ.get("KEHU_BACKUP_KEY"):
        return _decode_key(os.environ["KEHU_BACKUP_KEY"], "KEHU_BACKUP_KEY")
    path = key_file()
    if not path.exists():
        if not create:
            raise BackupError(
                _("No backup key: set KEHU_BACKUP_KEY or put the key file at %(path)s.")
                % {"path": path}
            )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
    return _decode_key(path.read_text(), str(path))


def key_fingerprint(key: bytes) -> str:
    """Tells keys apart without revealing them (HMAC of a fixed label under the key)."""
    return hmac.new(key, b"kehu key fingerprint v1", "sha256").hexdigest()[:16]


def _header(engine: str, key: bytes, prefix: bytes, chunk_size: int) -> bytes:
    return _HEADER.pack(MAGIC, VERSION, ENGINES[engine], key_id(key).encode(), prefix, chunk_size)


def _aad(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">QB", index, int(last))


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)


def encrypt_stream(
    source: BinaryIO,
    target: BinaryIO,
    *,
    key: bytes,
    engine: str,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int], object] = lambda n: None,
    manifest: dict | None = None,
) -> None:
    """Encrypt `source` into `target` chunk by chunk: memory use is one chunk, whatever the
    size of the database. `manifest` (JSON) is sealed after the header."""
    aead = AESGCM(key)
    prefix = secrets.token_bytes(8)
    header = _header(engine, key, prefix, chunk_size)
    target.write(header)
    sealed = aead.encrypt(
        _nonce(prefix, _MANIFEST_INDEX),
        json.dumps(manifest or {}, sort_keys=True).encode(),
        header + b"manifest",
    )
    target.write(_LENGTH.pack(len(sealed)))
    target.write(sealed)
    index = 0
    chunk = source.read(chunk_size)
    while True:
        following = source.read(chunk_size) if chunk else b""
        last = not following
        sealed = aead.encrypt(_nonce(prefix, index), chunk, _aad(header, index, last))
        target.write(_LENGTH.pack(len(sealed)))
        target.write(sealed)
        progress(len(chunk))
        if last:
            return
        chunk, index = following, index + 1


def read_header(source: BinaryIO) -> tuple[bytes, str, str, bytes, int]:
    """(raw header, engine, key id, nonce prefix, chunk size) of a backup file."""
    raw = source.read(_HEADER.size)
    if len(raw) != _HEADER.size:
        raise BackupError(_("This is not a Kehu backup file."))
    magic, version, engine, kid, prefix, chunk_size = _HEADER.unpack(raw)
    if magic != MAGIC:
        raise BackupError(_("This is not a Kehu backup file."))
    if version not in READABLE_VERSIONS:
        raise BackupError(
            _("This backup has format version %(version)s, which this Kehu cannot read.")
            % {"version": version}
        )
    engines = {number: name for name, number in ENGINES.items()}
    if engine not in engines:
        raise BackupError(_("This is not a Kehu backup file."))
    return raw, engines[engine], kid.decode("ascii", "replace"), prefix, chunk_size


def check_key(file_key_id: str, key: bytes) -> None:
    if file_key_id != key_id(key):
        raise BackupError(
            _(
                "This backup was encrypted with key %(file_key)s, but the configured backup "
                "key is %(our_key)s. Set KEHU_BACKUP_KEY to the key the backup was made with."
            )
            % {"file_key": file_key_id, "our_key": key_id(key)}
        )


def _damaged() -> str:
    return _("The backup file is damaged or has been tampered with; nothing was restored.")


def _read_manifest(source: BinaryIO, header: bytes, prefix: bytes, aead: AESGCM) -> dict:
    """The manifest after a version-2 header ({} for version 1), authenticated."""
    if header[len(MAGIC)] < 2:
        return {}
    length_raw = source.read(_LENGTH.size)
    if len(length_raw) != _LENGTH.size:
        raise BackupError(_damaged())
    (length,) = _LENGTH.unpack(length_raw)
    if length > _MANIFEST_MAX:
        raise BackupError(_damaged())
    try:
        text = aead.decrypt(
            _nonce(prefix, _MANIFEST_INDEX), source.read(length), header + b"manifest"
        )
        manifest = json.loads(text)
    except (InvalidTag, ValueError):
        raise BackupError(_damaged()) from None
    return manifest if isinstance(manifest, dict) else {}


def read_manifest(source: BinaryIO, *, key: bytes) -> dict:
    """The manifest of a backup (which encryption keys its data needs)."""
    header, _engine, kid, prefix, _chunk_size = read_header(source)
    check_key(kid, key)
    return _read_manifest(source, header, prefix, AESGCM(key))


def decrypt_chunks(source: BinaryIO, *, key: bytes) -> Iterator[bytes]:
    """Plaintext chunks of a backup; raises BackupError on a wrong key, an edited, reordered
    or truncated file. Consumers must not act on the data before the iteration completes."""
    header, _engine, kid, prefix, chunk_size = read_header(source)
    check_key(kid, key)
    aead = AESGCM(key)
    _read_manifest(source, header, prefix, aead)
    damaged = _damaged()
    index = 0
    while True:
        length_raw = source.read(_LENGTH.size)
        if len(length_raw) != _LENGTH.size:
            raise BackupError(damaged)
        (length,) = _LENGTH.unpack(length_raw)
        if length > chunk_size + _TAG:
            raise BackupError(damaged)
        sealed = source.read(length)
        last = source.peek(1)[:1] == b"" if hasattr(source, "peek") else False
        try:
            yield aead.decrypt(_nonce(prefix, index), sealed, _aad(header, index, last))
        except InvalidTag:
            raise BackupError(damaged) from None
        if last:
            return
        index += 1
