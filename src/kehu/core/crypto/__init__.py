"""Encryption at rest (AES-256-GCM) and keyed blind indexes (HMAC-SHA256).

Binary token: version byte (1), key id length (1), key id (ASCII), nonce (12), ciphertext with
the 16-byte GCM tag. The associated data binds a token to its version, key id and `context`
(for model fields: the logical column, e.g. ``customers.contact.mobile``), so a ciphertext
copied into another column, or one whose key id was edited, fails authentication instead of
decrypting into the wrong place. Text columns store the binary token in base64 (no tabs,
backslashes or newlines: safe for PostgreSQL's COPY, and the same on SQLite).

Blind index: HMAC-SHA256 under a key derived from its own secret (keys.index_key), of a
purpose label and the value, cut to 128 bits in hex. Equal values give equal indexes, so exact
look-ups and duplicate blocking work without decrypting; the key stays the same across
encryption-key rotations.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import struct

from cryptography.exceptions import InvalidTag
from django.utils.translation import gettext as _

from kehu.core.crypto.keys import KeyConfigurationError, keyring

__all__ = [
    "DecryptionError",
    "KeyConfigurationError",
    "blind_index",
    "decrypt_bytes",
    "decrypt_text",
    "encrypt_bytes",
    "encrypt_text",
    "token_kid",
]

VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
INDEX_HEX = 32  # 128 bits of the HMAC: collisions are out of reach, the index stays short


class DecryptionError(Exception):
    """A stored value that cannot be decrypted: tampered or truncated, or written under a key
    that is not configured (or is the wrong one). Nothing is returned in its place."""


def _aad(kid: bytes, context: bytes) -> bytes:
    return b"kehu/" + bytes([VERSION]) + b"/" + kid + b"/" + context


def encrypt_bytes(data: bytes, *, context: bytes = b"") -> bytes:
    """AES-GCM under the current key; `context` must be given again to decrypt."""
    ring = keyring()
    kid = ring.current.encode("ascii")
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.cipher(ring.current).encrypt(nonce, data, _aad(kid, context))
    return struct.pack("BB", VERSION, len(kid)) + kid + nonce + sealed


def _split(token: bytes) -> tuple[bytes, bytes, bytes]:
    if len(token) < 2 or token[0] != VERSION:
        raise DecryptionError(_("The stored value is not a Kehu ciphertext (damaged or edited)."))
    kid_length = token[1]
    kid = token[2 : 2 + kid_length]
    rest = token[2 + kid_length :]
    if len(kid) != kid_length or len(rest) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError(_("The stored value is truncated (damaged or edited)."))
    return kid, rest[:NONCE_BYTES], rest[NONCE_BYTES:]


def token_kid(token: bytes) -> str:
    """The id of the key a token was written under (rotation finds old tokens by it)."""
    return _split(token)[0].decode("ascii", "replace")


def decrypt_bytes(token: bytes, *, context: bytes = b"") -> bytes:
    kid, nonce, sealed = _split(bytes(token))
    ring = keyring()
    name = kid.decode("ascii", "replace")
    cipher = ring.cipher(name)
    if cipher is None:
        ring = keyring(refresh=True)  # a key another process just added to the key file
        cipher = ring.cipher(name)
    if cipher is None:
        raise DecryptionError(
            _(
                "The stored value was encrypted with key %(kid)s, which is not configured "
                "(keys configured: %(kids)s)."
            )
            % {"kid": name, "kids": ", ".join(ring.keys)}
        )
    try:
        return cipher.decrypt(nonce, sealed, _aad(kid, context))
    except InvalidTag as exc:
        raise DecryptionError(
            _(
                "The stored value does not authenticate under key %(kid)s: it was edited or "
                "moved from another field, or the key is wrong."
            )
            % {"kid": name}
        ) from exc


def encrypt_text(value: str, *, context: str) -> str:
    token = encrypt_bytes(value.encode("utf-8"), context=context.encode("utf-8"))
    return base64.b64encode(token).decode("ascii")


def text_token(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError(
            _("The stored value is not a Kehu ciphertext (damaged or edited).")
        ) from exc


def decrypt_text(value: str, *, context: str) -> str:
    return decrypt_bytes(text_token(value), context=context.encode("utf-8")).decode("utf-8")


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed, deterministic: the same value and purpose always give the same index."""
    if not value:
        return ""
    message = purpose.encode("utf-8") + b"\x00" + value.encode("utf-8")
    return hmac.digest(keyring().index_key, message, "sha256").hex()[:INDEX_HEX]
