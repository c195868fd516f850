"""The audit log: one JSON line per call through the pipeline (``server.audit``).

Each line: ``time`` (UTC, ISO 8601), ``client`` (the caller's id, ``null``
without authentication), ``via`` (``api_key``, ``jwt``, ``oauth``; ``stdio``
for the local transport), ``method``, ``target`` (tool or prompt name, or
resource URI; absent for listings), ``request_id``, ``decision`` (``allow`` or
``deny``), ``duration_ms``, ``outcome`` (``ok``, ``tool_error`` for an
``isError`` result, ``error`` for a JSON-RPC error) and ``error_code``.
Arguments are recorded only with ``include_arguments: true``, and then with
every configured secret value masked. Credentials never appear: the
identity carries none.

It sits before the authorization middleware in the chain, so refused calls
are recorded too. Lines go to ``server.audit.file`` (appended, 0600, one ``write`` each) or to
the ``mcpgen.audit`` logger.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from mcpgen.runtime.middleware.rbac import DECISION
from mcpgen.runtime.pipeline import CallContext, CallError, Next, Result

logger = logging.getLogger("mcpgen.audit")


class AuditLog:
    """Where audit lines go: a file (opened for each line, so rotating it needs no signal) or a logger."""

    def __init__(self, file: Path | None) -> None:
        self.path = file

    def write(self, record: dict[str, Any]) -> None:
        line = orjson.dumps(record, default=str)
        if self.path is None:
            logger.info("%s", line.decode())
            return
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except FileNotFoundError:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line + b"\n")
        finally:
            os.close(fd)


def _masked(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            if secret and secret in value:
                value = value.replace(secret, "***")
        return value
    if isinstance(value, dict):
        return {k: _masked(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v, secrets) for v in value]
    return value


class Audit:
    """Pipeline middleware: time the call, then write what happened."""

    changes_listings = False

    def __init__(
        self, log: AuditLog, *, include_arguments: bool = False, secrets: Iterable[str] = ()
    ) -> None:
        self.log = log
        self.include_arguments = include_arguments
        self.secrets = tuple(s for s in secrets if s)

    async def __call__(self, call: CallContext, call_next: Next) -> Result:
        started = time.perf_counter()
        outcome, code = "ok", None
        try:
            result = await call_next(call)
            if result.get("isError") is True:
                outcome = "tool_error"
            return result
        except CallError as exc:
            outcome, code = "error", exc.code
            raise
        except BaseException:
            outcome = "error"
            raise
        finally:
            self.log.write(self._record(call, started, outcome, code))

    def _record(self, call: CallContext, started: float, outcome: str, code: int | None) -> dict[str, Any]:
        client = call.client
        record: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "client": client.id if client is not None else None,
            "via": client.via
            if client is not None
            else call.transport
            if call.transport == "stdio"
            else None,
            "method": call.method,
            "target": call.name or None,
            "request_id": call.request_id,
            "decision": call.state.get(DECISION, "allow"),
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "outcome": outcome,
        }
        if code is not None:
            record["error_code"] = code
        if self.include_arguments and call.arguments:
            record["arguments"] = _masked(dict(call.arguments), self.secrets)
        return record
