"""What the admin API shows besides stats: the sanitized settings, versions and limits, recent errors.

Nothing here may show a secret: :func:`sanitized` masks every field kept out of ``repr``, every
pydantic ``SecretStr``, every free-form value under a secret-looking key, and any string that contains
one of the configured secret values (shown as :data:`mcpgen.common.masking.HIDDEN`); :class:`RecentErrors` keeps error records as the (redacting) log
handler formatted them.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import logging
import os
import platform
import re
import sys
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

from mcpgen._version import __version__
from mcpgen.common.masking import HIDDEN
from mcpgen.runtime.credentials import RedactingFilter
from mcpgen.runtime.settings import Settings

MASK = HIDDEN
_SECRET_KEY = re.compile(r"(?i)(token|secret|password|passwd|api[_-]?key|credential|private)")
_PACKAGES = ("mcp", "starlette", "uvicorn", "pydantic", "prometheus-client", "opentelemetry-sdk")


def _plain(value: Any, secrets: tuple[str, ...], key: str = "") -> Any:
    if isinstance(value, str) and (
        (key and _SECRET_KEY.search(key)) or any(s and s in value for s in secrets)
    ):
        return MASK
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            inner = getattr(value, f.name)
            out[f.name] = (MASK if inner else inner) if not f.repr else _plain(inner, secrets, f.name)
        return out
    if isinstance(value, SecretStr):
        return MASK
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(), secrets)
    if isinstance(value, Mapping):
        return {str(k): _plain(v, secrets, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, secrets, key) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def sanitized(settings: Settings) -> dict[str, Any]:
    """The settings as JSON data with every secret masked."""
    view = _plain(settings, tuple(settings.secret_values))
    assert isinstance(view, dict)
    return view


class RecentErrors(logging.Handler):
    """Keeps the last ``size`` records at ERROR or above, formatted by ``formatter`` (redacted)."""

    def __init__(self, size: int = 50) -> None:
        super().__init__(logging.ERROR)
        self.records: deque[dict[str, Any]] = deque(maxlen=size)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            for handler in logging.getLogger().handlers:  # redact as the server's log handler does
                for flt in handler.filters:
                    if isinstance(flt, RedactingFilter):
                        flt.filter(record)  # cleans the record in place (idempotent)
            message = record.getMessage()
            self.records.append(
                {
                    "at": record.created,
                    "level": record.levelname.lower(),
                    "logger": record.name,
                    "msg": message,
                    "request_id": record.__dict__.get("request_id"),
                }
            )
        except Exception:
            self.handleError(record)


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"mcpgen": __version__, "python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def limits(settings: Settings) -> dict[str, Any]:
    http, execution = settings.http, settings.execution
    found: dict[str, Any] = {
        "maxRequestSize": http.max_request_size,
        "defaultTimeout": execution.default_timeout,
        "threadPoolSize": execution.thread_pool_size,
        "nodeWorkers": execution.node_workers,
        "gracefulShutdownTimeout": http.graceful_shutdown_timeout,
        "sessionIdleTimeout": http.session_idle_timeout,
    }
    try:
        import resource

        found["openFiles"] = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError):
        found["openFiles"] = None
    return found


def debug_info(settings: Settings, errors: RecentErrors | None, started: float) -> dict[str, Any]:
    return {
        "versions": versions(),
        "platform": {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
            "implementation": sys.implementation.name,
            "pid": os.getpid(),
            "cpus": os.cpu_count(),
        },
        "startedAt": started,
        "now": time.time(),
        "limits": limits(settings),
        "multiprocessMetrics": bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR")),
        "recentErrors": list(errors.records) if errors is not None else [],
    }
