"""The backup envelope of the secret store: a verbatim copy of ``secrets.enc`` with a checksum.

A backup is one JSON object::

    {"format": "mcpgen-secrets-backup", "version": 1, "created": "2026-12-04T16:20:00Z",
     "keyId": "3f0c9e1d2b7a4c55", "count": 3, "sha256": "<hex of the store bytes>",
     "store": "<base64 of secrets.enc>"}

The values stay sealed exactly as in the store (AES-256-GCM under the store
key), so a backup is as safe to keep as the store itself and is opened with
the same key; the key is never part of it (back the key up separately). On
restore the checksum catches a truncated or edited file, the key id a wrong
key, and authenticating every entry anything else; only then is the store
replaced (see :meth:`mcpgen.secrets.store.SecretStore.restore`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mcpgen.errors import SecretStoreError

FORMAT = "mcpgen-secrets-backup"
VERSION = 1


def wrap(store_bytes: bytes, *, key_id: str, count: int) -> bytes:
    """The backup file's bytes for a store file's bytes."""
    body = {
        "format": FORMAT,
        "version": VERSION,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "keyId": key_id,
        "count": count,
        "sha256": hashlib.sha256(store_bytes).hexdigest(),
        "store": base64.b64encode(store_bytes).decode("ascii"),
    }
    return (json.dumps(body, indent=2) + "\n").encode("utf-8")


def unwrap(data: bytes, path: Path) -> bytes:
    """The store bytes inside a backup; raises :class:`SecretStoreError` naming ``path`` when it is
    truncated, not a backup, or does not match its checksum."""
    body = _object(data, path)
    if body.get("format") != FORMAT:
        raise _bad(path, f'"format" is not "{FORMAT}" (not an mcpgen secrets backup)')
    if body.get("version") != VERSION:
        raise _bad(path, f"format version {body.get('version')!r}; this mcpgen reads version {VERSION}")
    encoded, digest = body.get("store"), body.get("sha256")
    if not isinstance(encoded, str) or not isinstance(digest, str):
        raise _bad(path, '"store" or "sha256" is missing')
    try:
        store = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _bad(path, '"store" is not base64') from None
    if hashlib.sha256(store).hexdigest() != digest:
        raise _bad(path, "the checksum does not match (the file was modified or damaged)")
    return store


def _object(data: bytes, path: Path) -> dict[str, Any]:
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(path, f"not valid JSON, truncated or damaged ({exc})") from None
    if not isinstance(body, dict):
        raise _bad(path, "the top level is not a JSON object")
    return body


def _bad(path: Path, what: str) -> SecretStoreError:
    return SecretStoreError(
        f"cannot restore from {path}: {what}; the current store was not changed", path=path
    )
