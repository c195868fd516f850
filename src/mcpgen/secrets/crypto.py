"""The cryptography of the secret store: AES-256-GCM, scrypt, key ids, key text.

This is the only module of :mod:`mcpgen.secrets` that imports ``cryptography``.
Every function is pure apart from drawing random bytes, and none of them logs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

KEY_SIZE = 32
"""AES-256: keys are 32 bytes."""

NONCE_SIZE = 12
"""96-bit GCM nonces, fresh and random for every sealed value."""

SALT_SIZE = 16

_MAX_SCRYPT_MEMORY = 256 * 1024 * 1024
"""Refuse scrypt parameters (from a file header) that would need more memory than this."""


class AuthenticationFailed(Exception):
    """A sealed value did not authenticate: wrong key, wrong associated data, or modified bytes.

    Internal: the store turns it into a :class:`~mcpgen.errors.SecretStoreError` with context.
    """


@dataclass(frozen=True)
class ScryptParams:
    """Cost parameters for stretching a passphrase (stored in the file header).

    The default (n=2**15, r=8, p=1: 32 MiB, about 0.1 s) follows the scrypt
    paper's interactive-login setting. Tests pass smaller values.
    """

    n: int = 2**15
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if self.n < 2 or self.n & (self.n - 1):
            raise ValueError("scrypt n must be a power of two greater than 1")
        if not 1 <= self.r <= 64 or not 1 <= self.p <= 16:
            raise ValueError("scrypt r must be in 1..64 and p in 1..16")
        if 128 * self.n * self.r * self.p > _MAX_SCRYPT_MEMORY:
            raise ValueError("scrypt parameters need more than 256 MiB of memory")


DEFAULT_SCRYPT = ScryptParams()


def generate_key() -> bytes:
    """A fresh random 256-bit key."""
    return secrets.token_bytes(KEY_SIZE)


def generate_salt() -> bytes:
    return secrets.token_bytes(SALT_SIZE)


def derive_key(passphrase: str, salt: bytes, params: ScryptParams) -> bytes:
    """Stretch ``passphrase`` (NFC-normalised, UTF-8) into a 256-bit key with scrypt."""
    normalized = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    kdf = Scrypt(salt=salt, length=KEY_SIZE, n=params.n, r=params.r, p=params.p)
    return kdf.derive(normalized)


def key_id(key: bytes) -> str:
    """A short public fingerprint of ``key`` (16 hex digits); reveals nothing usable about it."""
    return hashlib.sha256(b"mcpgen-secrets key id\x00" + key).hexdigest()[:16]


def encode_key(key: bytes) -> str:
    """The text form of a key: URL-safe base64 with padding (44 characters)."""
    return base64.urlsafe_b64encode(key).decode("ascii")


def decode_key(text: str) -> bytes | None:
    """Parse standard or URL-safe base64 of exactly 32 bytes; ``None`` when ``text`` is not one."""
    candidate = text.strip()
    if not candidate or len(candidate) > 64:
        return None
    candidate = candidate.replace("-", "+").replace("_", "/")
    candidate += "=" * (-len(candidate) % 4)
    try:
        raw = base64.b64decode(candidate, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == KEY_SIZE else None


def seal(key: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """Encrypt and authenticate ``plaintext`` bound to ``aad``; returns ``(nonce, ciphertext)``."""
    nonce = os.urandom(NONCE_SIZE)
    return nonce, AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
    """Decrypt a sealed value; raises :class:`AuthenticationFailed` if anything does not match."""
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag as exc:
        raise AuthenticationFailed from exc
