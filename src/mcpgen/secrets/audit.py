"""The audit log: one JSON line per access to the secret store, never a value.

``<state_dir>/audit.log`` (mode 0600) gets a line such as::

    {"time": "2026-03-01T12:00:00.123456+00:00", "operation": "get", "name": "API_KEY",
     "ok": true, "pid": 4242, "process": "mcpgen", "user": "alice"}

``operation`` is one of ``open get set rm list rotate export``; ``name`` is
the secret's name or ``null``; ``ok`` is false when the access failed (a wrong
key, a tampered file). A log that cannot be written never fails the access: it
is reported with a logging warning instead.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

from mcpgen.secrets.fs import PRIVATE_FILE

logger = logging.getLogger(__name__)

Operation = Literal["open", "get", "set", "rm", "list", "rotate", "export", "backup", "restore"]


class AuditSink(Protocol):
    """Receives one record per store access; :class:`JsonlAuditLog` is the real one."""

    def record(self, operation: Operation, name: str | None = None, *, ok: bool = True) -> None: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _current_user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, AttributeError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


class JsonlAuditLog:
    """Append records to a JSONL file with ``O_APPEND`` (one ``write`` per line, so lines never interleave)."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], datetime] = _utcnow,
        process: str | None = None,
        pid: int | None = None,
        user: str | None = None,
    ) -> None:
        self.path = path
        self._clock = clock
        self._process = process if process is not None else Path(sys.argv[0] or "python").name
        self._pid = pid if pid is not None else os.getpid()
        self._user = user if user is not None else _current_user()

    def record(self, operation: Operation, name: str | None = None, *, ok: bool = True) -> None:
        line = json.dumps(
            {
                "time": self._clock().astimezone(UTC).isoformat(),
                "operation": operation,
                "name": name,
                "ok": ok,
                "pid": self._pid,
                "process": self._process,
                "user": self._user,
            },
            ensure_ascii=False,
        )
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
            try:
                os.write(fd, (line + "\n").encode("utf-8"))
            finally:
                os.close(fd)
        except OSError as exc:
            logger.warning("could not append to the secrets audit log %s: %s", self.path, exc.strerror or exc)


class NullAuditLog:
    """Records nothing (for callers that keep their own audit trail)."""

    def record(self, operation: Operation, name: str | None = None, *, ok: bool = True) -> None:
        return None
