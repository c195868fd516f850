"""API keys for inbound authentication: ``.mcpgen/api_keys.json``, keys stored hashed, never in clear.

A key is ``mcpgen_`` + 43 URL-safe base64 characters (32 random bytes). The
file keeps, per key: its name, role, creation and expiry times (UTC, ISO
8601), the SHA-256 of the whole key (hex) and the key's first characters (to
recognise it in a list). The key itself is shown once, by ``create``, and is
not recoverable. A fast hash is right here: the key is 256 bits of randomness,
so there is nothing to brute-force a slow hash would protect.

The file is written atomically, mode 0600, under an advisory lock (the same
helpers as the secret store). :func:`key_table` is what the runtime reads: a
map from key hash to :class:`ApiKey`.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from mcpgen.errors import SecretStoreError, UsageError
from mcpgen.secrets.fs import atomic_write_private, ensure_private_dir, exclusive_lock

KEYS_FILE = "api_keys.json"
KEY_PREFIX = "mcpgen_"
FORMAT_VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


def hash_key(key: str) -> str:
    """The hex SHA-256 a key is stored (and looked up) by."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One stored key (everything but the key itself)."""

    name: str
    role: str
    created: str
    expires: str | None
    hash: str
    prefix: str

    def expired(self, now: datetime) -> bool:
        return self.expires is not None and datetime.fromisoformat(self.expires) <= now


def check_key_name(name: str) -> None:
    if not _NAME.match(name):
        raise UsageError(
            f"{name!r} is not a valid key name (1-64 letters, digits, '_', '.', '@' or '-', "
            "starting with a letter or digit)"
        )


def _parse(path: Path, data: bytes) -> dict[str, ApiKey]:
    try:
        document = json.loads(data)
        if document.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported version {document.get('version')!r}")
        return {entry["name"]: ApiKey(**entry) for entry in document["keys"]}
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise SecretStoreError(f"{path} is not a valid API key file: {exc}", path=path) from None


def read_keys(path: Path) -> dict[str, ApiKey]:
    """The keys in ``path`` by name (none when the file does not exist)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise SecretStoreError(f"cannot read {path}: {exc.strerror or exc}", path=path) from exc
    return _parse(path, data)


def key_table(keys: Mapping[str, ApiKey]) -> dict[str, ApiKey]:
    """``keys`` by hash: what a presented key is looked up in."""
    return {key.hash: key for key in keys.values()}


class ApiKeyFile:
    """Create, list and revoke the keys of one ``api_keys.json``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def list(self) -> list[ApiKey]:
        return sorted(read_keys(self.path).values(), key=lambda k: k.name)

    def create(self, name: str, role: str, expires: datetime | None, now: datetime) -> tuple[ApiKey, str]:
        """A new key named ``name`` with ``role``: the stored record and the key (shown once)."""
        check_key_name(name)
        if not role.strip():
            raise UsageError("a key needs a role (--role)")
        if expires is not None and expires <= now:
            raise UsageError(f"--expires {expires.isoformat()} is in the past")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        record = ApiKey(
            name=name,
            role=role.strip(),
            created=now.astimezone(UTC).isoformat(timespec="seconds"),
            expires=expires.astimezone(UTC).isoformat(timespec="seconds") if expires else None,
            hash=hash_key(key),
            prefix=key[: len(KEY_PREFIX) + 4],
        )
        with self._locked():
            keys = read_keys(self.path)
            if name in keys:
                raise UsageError(f"a key named {name!r} exists; revoke it first or pick another name")
            keys[name] = record
            self._write(keys)
        return record, key

    def revoke(self, name: str) -> bool:
        """Remove the key ``name``; ``False`` when there is none."""
        with self._locked():
            keys = read_keys(self.path)
            if keys.pop(name, None) is None:
                return False
            self._write(keys)
        return True

    def _locked(self) -> AbstractContextManager[None]:
        ensure_private_dir(self.path.parent)
        return exclusive_lock(self.path.with_suffix(".lock"))

    def _write(self, keys: Mapping[str, ApiKey]) -> None:
        entries = [asdict(keys[name]) for name in sorted(keys)]
        text = json.dumps({"version": FORMAT_VERSION, "keys": entries}, indent=2) + "\n"
        atomic_write_private(self.path, text.encode())
