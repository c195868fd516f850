"""The ``secrets.enc`` file format: parse, validate and render (pure, no keys involved).

Version 1 is a JSON object::

    {
      "format": "mcpgen-secrets",
      "version": 1,
      "cipher": "AES-256-GCM",
      "kid": "3f0c9e1d2b7a4c55",                      # key id: fingerprint of the key
      "kdf": {"name": "none"}                          # a raw 256-bit key, or
           | {"name": "scrypt", "salt": "<b64>", "n": 32768, "r": 8, "p": 1},
      "check": {"nonce": "<b64>", "ciphertext": "<b64>"},     # the sealed index
      "entries": {"NAME": {"nonce": "<b64>", "ciphertext": "<b64>"}, ...}
    }

The *header* is every field except ``check`` and ``entries``; :meth:`Header.aad`
renders it canonically so formatting does not matter but any edited value does.
Byte strings are standard base64. Names are environment-variable names.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mcpgen.errors import SecretStoreError, UsageError
from mcpgen.secrets.crypto import NONCE_SIZE, ScryptParams

FORMAT = "mcpgen-secrets"
VERSION = 1
CIPHER = "AES-256-GCM"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KID = re.compile(r"[0-9a-f]{16}")


def is_valid_name(name: str) -> bool:
    return _NAME.fullmatch(name) is not None


def check_name(name: str) -> None:
    """Reject a secret name that is not an environment-variable name (a caller error)."""
    if not isinstance(name, str) or not is_valid_name(name):
        raise UsageError(
            f"invalid secret name {name!r}: use an environment variable name "
            "(letters, digits and '_', not starting with a digit)"
        )


def check_value(name: str, value: str) -> None:
    """Reject values that cannot be stored as UTF-8 or passed as an environment variable."""
    if not isinstance(value, str):
        raise UsageError(f"the value of secret {name} must be a string")
    if "\x00" in value:
        raise UsageError(f"the value of secret {name} contains a NUL character, which no environment allows")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"the value of secret {name} is not valid Unicode text") from None


@dataclass(frozen=True)
class Kdf:
    """How the store key is obtained: a raw key (``none``) or a passphrase stretched with scrypt."""

    name: Literal["none", "scrypt"] = "none"
    salt: bytes = b""
    params: ScryptParams | None = None

    def to_json(self) -> dict[str, Any]:
        if self.name == "none" or self.params is None:
            return {"name": "none"}
        return {"name": "scrypt", "salt": _b64(self.salt), **vars(self.params)}


NO_KDF = Kdf()


@dataclass(frozen=True)
class Header:
    kid: str
    kdf: Kdf = NO_KDF

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "cipher": CIPHER,
            "kid": self.kid,
            "kdf": self.kdf.to_json(),
        }

    def aad(self) -> bytes:
        """Associated data for the index: the canonical header."""
        canonical = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return b"mcpgen-secrets/1 header\x00" + canonical.encode("utf-8")

    def entry_aad(self, name: str) -> bytes:
        """Associated data for one entry: binds the entry to its name and to the store's key id."""
        return b"mcpgen-secrets/1 entry\x00" + self.kid.encode("ascii") + b"\x00" + name.encode("utf-8")


@dataclass(frozen=True)
class Sealed:
    nonce: bytes = field(repr=False)
    ciphertext: bytes = field(repr=False)

    def to_json(self) -> dict[str, str]:
        return {"nonce": _b64(self.nonce), "ciphertext": _b64(self.ciphertext)}


@dataclass(frozen=True)
class StoreDocument:
    header: Header
    check: Sealed
    entries: Mapping[str, Sealed]


def render(doc: StoreDocument) -> bytes:
    """The file bytes for ``doc`` (sorted entries, trailing newline)."""
    body = doc.header.to_json()
    body["check"] = doc.check.to_json()
    body["entries"] = {name: doc.entries[name].to_json() for name in sorted(doc.entries)}
    return (json.dumps(body, indent=2) + "\n").encode("utf-8")


def parse(data: bytes, path: Path) -> StoreDocument:
    """Parse and structurally validate a store file; raises :class:`SecretStoreError` naming ``path``."""
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _malformed(path, f"not valid JSON ({exc})") from None
    if not isinstance(body, dict):
        raise _malformed(path, "the top level is not a JSON object")
    if body.get("format") != FORMAT:
        raise _malformed(path, f'"format" is not "{FORMAT}"')
    version = body.get("version")
    if version != VERSION:
        raise SecretStoreError(
            f"{path} has format version {version!r}; this mcpgen reads version {VERSION} only "
            "(upgrade mcpgen to open it)",
            path=path,
        )
    if body.get("cipher") != CIPHER:
        raise _malformed(path, f'"cipher" is not "{CIPHER}"')
    kid = body.get("kid")
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise _malformed(path, '"kid" is not a key id')
    header = Header(kid=kid, kdf=_parse_kdf(body.get("kdf"), path))
    check = _parse_sealed(body.get("check"), path, "check")
    raw_entries = body.get("entries")
    if not isinstance(raw_entries, dict):
        raise _malformed(path, '"entries" is not an object')
    entries: dict[str, Sealed] = {}
    for name, sealed in raw_entries.items():
        if not is_valid_name(name):
            raise _malformed(path, f"entry name {name!r} is not a valid secret name")
        entries[name] = _parse_sealed(sealed, path, f"entry {name}")
    return StoreDocument(header=header, check=check, entries=entries)


def _parse_kdf(raw: object, path: Path) -> Kdf:
    if not isinstance(raw, dict):
        raise _malformed(path, '"kdf" is not an object')
    if raw.get("name") == "none":
        return NO_KDF
    if raw.get("name") != "scrypt":
        raise _malformed(path, f"unknown key derivation {raw.get('name')!r}")
    salt = _unb64(raw.get("salt"), path, "kdf.salt")
    try:
        params = ScryptParams(n=_int(raw.get("n")), r=_int(raw.get("r")), p=_int(raw.get("p")))
    except ValueError as exc:
        raise _malformed(path, f"bad scrypt parameters ({exc})") from None
    if len(salt) < 16:
        raise _malformed(path, "the scrypt salt is shorter than 16 bytes")
    return Kdf(name="scrypt", salt=salt, params=params)


def _parse_sealed(raw: object, path: Path, what: str) -> Sealed:
    if not isinstance(raw, dict):
        raise _malformed(path, f"{what} is not an object")
    nonce = _unb64(raw.get("nonce"), path, f"{what}.nonce")
    ciphertext = _unb64(raw.get("ciphertext"), path, f"{what}.ciphertext")
    if len(nonce) != NONCE_SIZE or len(ciphertext) < 16:
        raise _malformed(path, f"{what} has a nonce or ciphertext of the wrong size")
    return Sealed(nonce=nonce, ciphertext=ciphertext)


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("n, r and p must be integers")
    return value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object, path: Path, what: str) -> bytes:
    if not isinstance(value, str):
        raise _malformed(path, f"{what} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _malformed(path, f"{what} is not valid base64") from None


def _malformed(path: Path, reason: str) -> SecretStoreError:
    return SecretStoreError(
        f"{path} is not a valid mcpgen secret store: {reason}; nothing was changed", path=path
    )
