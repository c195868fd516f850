"""The call being served, as a contextvar: what log lines read their request id and trace id from.

:class:`~mcpgen.runtime.pipeline.Pipeline` sets :data:`CURRENT` around every call, so a log record
made anywhere below it (a middleware, an executor, user code) carries the call's request id, and its
trace id: the active span's when tracing records one, else the one the client sent (``traceparent``
in ``_meta`` or the HTTP headers). Both are looked up only when a record is actually written.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer


class CallLike(Protocol):
    """What the log context reads of a :class:`~mcpgen.runtime.pipeline.CallContext`."""

    @property
    def request_id(self) -> Any: ...

    @property
    def meta(self) -> Mapping[str, Any] | None: ...

    @property
    def headers(self) -> Mapping[str, str] | None: ...


CURRENT: ContextVar[CallLike | None] = ContextVar("mcpgen_call", default=None)
"""The call the current task serves (``None`` outside calls)."""
TRACER: ContextVar[Tracer | None] = ContextVar("mcpgen_tracer", default=None)
"""The tracer of the current call while its server span records (``None``: no child spans)."""


def incoming_traceparent(meta: Mapping[str, Any] | None, headers: Mapping[str, str] | None) -> str | None:
    """The W3C ``traceparent`` a client sent: in ``params._meta`` first, else the HTTP header."""
    if meta is not None:
        value = meta.get("traceparent")
        if isinstance(value, str):
            return value
    if headers is not None:
        return headers.get("traceparent")
    return None


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id of a well-formed ``traceparent`` (``00-<32 hex>-<16 hex>-<2 hex>``), else ``None``."""
    if traceparent is None:
        return None
    parts = traceparent.strip().split("-")
    if len(parts) != 4 or len(parts[1]) != 32 or parts[1] == "0" * 32:
        return None
    try:
        int(parts[1], 16)
    except ValueError:
        return None
    return parts[1].lower()


def current_trace_id() -> str | None:
    """The trace id of the current call: the recording span's (tracing on), else the client's."""
    if TRACER.get() is not None:  # a span records: tracing is on, its SDK already loaded
        from mcpgen.runtime.telemetry import tracing

        found = tracing.current_trace_id()
        if found is not None:
            return found
    call = CURRENT.get()
    if call is None:
        return None
    return trace_id_of(incoming_traceparent(call.meta, call.headers))


class CallContextFilter(logging.Filter):
    """Adds ``request_id`` and ``trace_id`` of the current call to records that lack them."""

    def filter(self, record: logging.LogRecord) -> bool:
        call = CURRENT.get()
        if call is None:
            return True
        values = record.__dict__
        if values.get("request_id") is None and call.request_id is not None:
            record.request_id = call.request_id
        if values.get("trace_id") is None:
            trace_id = current_trace_id()
            if trace_id is not None:
                record.trace_id = trace_id
        return True
