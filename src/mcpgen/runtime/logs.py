"""Plain stdlib logging to stderr in a compact ``key=value`` format.

One line per record::

    ts=2026-01-02T03:04:05.678Z level=error logger=mcpgen.runtime msg="tool failed" tool=add request_id=7

Records may carry ``tool`` and ``request_id`` (``extra={...}``); they are
appended when present. A record made while a call is served gets that call's
``request_id`` and ``trace_id`` even without ``extra``
(:class:`~mcpgen.runtime.telemetry.context.CallContextFilter`); access log
records (``mcpgen.access``) carry ``method``, ``target``, ``outcome``,
``duration_ms``, ``path``, ``wire`` and ``transport``. Argument values are
never logged at info level.
A traceback, when there is one, follows on the next lines.

Payloads are never logged, at any level: libraries that log whole messages
at debug (sse-starlette logs every SSE chunk, so ``-vv`` would put whole tool
results in the log) are filtered by :class:`PayloadSizes`, which keeps their
line but replaces the payload with its size and the ids it names.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from pathlib import Path
from typing import IO

from mcpgen.runtime.telemetry.context import CallContextFilter

_FIELDS = ("tool", "request_id", "trace_id", "uri", "prompt")
_ACCESS_FIELDS = ("method", "target", "outcome", "duration_ms", "path", "wire", "transport")
_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}
_HANDLER_NAME = "mcpgen-runtime"
PAYLOAD_LOGGERS = ("sse_starlette.sse", "mcp.server.sse")
"""Loggers that log whole protocol payloads at debug (:class:`PayloadSizes` filters them)."""
_IDS = re.compile(rb'(?:^|\n)id: *([^\r\n]{1,64})|"id": *("[^"]{0,64}"|-?\d{1,20})')


class PayloadSizes(logging.Filter):
    """Rewrite a record whose arguments are protocol payloads: their size and ids, never their content."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not args or not isinstance(args, tuple):  # an f-string: "what: <payload>"
            head, sep, tail = str(record.msg).partition(": ")
            if sep and tail:
                record.msg, record.args = f"{head}: {len(tail)} characters (payload not logged)", None
            return True
        described = []
        for arg in args:
            raw = arg if isinstance(arg, bytes) else str(arg).encode("utf-8", "replace")
            ids = [(a or b).decode("utf-8", "replace") for a, b in _IDS.findall(raw[:4096])]
            shown = f"{len(raw)} bytes" + (f" (ids {', '.join(ids[:4])})" if ids else "")
            described.append(shown)
        record.args = tuple(described)
        return True


_PAYLOAD_FILTER = PayloadSizes()


def _quote(value: object) -> str:
    text = str(value)
    if text and not any(c in text for c in ' "=\n\t'):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _fields(record: logging.LogRecord) -> tuple[str, ...]:
    return _FIELDS + _ACCESS_FIELDS if record.name == "mcpgen.access" else _FIELDS


class KeyValueFormatter(logging.Formatter):
    """Format records as one ``key=value`` line (plus the traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        parts = [
            f"ts={ts}.{int(record.msecs):03d}Z",
            f"level={record.levelname.lower()}",
            f"logger={record.name}",
            f"msg={_quote(record.getMessage())}",
        ]
        for name in _fields(record):
            value = record.__dict__.get(name)
            if value is not None:
                parts.append(f"{name}={_quote(value)}")
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        elif record.exc_text:  # already formatted (and redacted) by a filter
            line += "\n" + record.exc_text
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, the context fields, and exc when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        data: dict[str, object] = {
            "ts": f"{ts}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in _fields(record):
            value = record.__dict__.get(name)
            if value is not None:
                data[name] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exc"] = record.exc_text
        return json.dumps(data, default=str, ensure_ascii=False)


def configure_logging(
    level: str = "info",
    stream: IO[str] | None = None,
    *,
    format: str = "text",
    destination: str = "stderr",
    file: Path | None = None,
) -> None:
    """Send every log record to ``stream`` (default: per ``destination``) as key=value text or JSON lines.

    Idempotent: calling it again replaces the handler it installed before.
    ``destination`` is ``stderr`` (default), ``stdout``, or ``file`` (append to ``file``).
    """
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == _HANDLER_NAME:
            root.removeHandler(old)
            old.close()
    handler: logging.Handler
    if stream is not None:
        handler = logging.StreamHandler(stream)
    elif destination == "file" and file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(file, encoding="utf-8")
    elif destination == "stdout":
        handler = logging.StreamHandler(sys.stdout)
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(CallContextFilter())
    handler.setFormatter(JsonFormatter() if format == "json" else KeyValueFormatter())
    root.addHandler(handler)
    root.setLevel(_LEVELS.get(level, logging.INFO))
    for name in PAYLOAD_LOGGERS:
        payloads = logging.getLogger(name)
        if _PAYLOAD_FILTER not in payloads.filters:
            payloads.addFilter(_PAYLOAD_FILTER)
    # The SDK logs every session start/stop, and httpx every connector request, at info;
    # keep them quieter unless debugging.
    # (set again on every call: a later debug configuration lets them through again)
    for noisy in ("mcp", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING if root.level > logging.DEBUG else logging.NOTSET)
