"""``mcpgen keys``: API keys for inbound authentication, kept hashed in ``.mcpgen/api_keys.json``.

The server reads the same file (``server.auth.api_keys_file``, default
``.mcpgen/api_keys.json``) and notices changes within a second, so a revoked
key stops working without a restart.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mcpgen.errors import UsageError
from mcpgen.secrets.api_keys import KEYS_FILE, ApiKey, ApiKeyFile
from mcpgen.workflows.project import load_project

_DURATION = re.compile(r"^(\d+)([hdw])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def keys_file(root: Path) -> ApiKeyFile:
    return ApiKeyFile(load_project(root).state_dir / KEYS_FILE)


def parse_expiry(text: str | None, now: datetime) -> datetime | None:
    """``--expires``: a duration (``12h``, ``30d``, ``4w``) or an ISO 8601 date/time (UTC when naive)."""
    if text is None:
        return None
    found = _DURATION.match(text.strip())
    if found:
        return now + int(found.group(1)) * _UNITS[found.group(2)]
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"--expires {text!r}: expected a duration (12h, 30d, 4w) or a date (2027-01-31 or 2027-01-31T12:00)"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def create_key(root: Path, name: str, role: str, expires: str | None) -> tuple[ApiKey, str, Path]:
    """A new key: the stored record, the key itself (to show once), and the file it is kept in."""
    now = datetime.now(UTC)
    store = keys_file(root)
    record, key = store.create(name, role, parse_expiry(expires, now), now)
    return record, key, store.path


def list_keys(root: Path) -> tuple[list[ApiKey], Path]:
    store = keys_file(root)
    return store.list(), store.path


def revoke_key(root: Path, name: str) -> bool:
    return keys_file(root).revoke(name)
