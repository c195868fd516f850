"""``Metrics``: times every call and counts it by method, target and outcome.

One middleware feeds up to three sinks, each optional: the Prometheus
:class:`~mcpgen.runtime.telemetry.metrics.Instruments` (``monitoring.metrics.enabled``), the
in-process :class:`~mcpgen.runtime.telemetry.metrics.CallStats` behind ``/admin/stats`` (an admin
token is set) and the access log (``logging.access_log``: one record per call on the
``mcpgen.access`` logger, with method, target, outcome, duration, path and wire as fields).
The labelled children are looked up once per (method, target, outcome) and kept. A call the
rate limiter or RBAC (inner middleware) refuses is also counted in ``mcpgen_rate_limited`` (by the
reason they mark in ``call.state``) or ``mcpgen_forbidden``; 401s are counted by the auth gate,
before the pipeline.
"""

from __future__ import annotations

import asyncio
import logging
from time import perf_counter
from typing import Any

from mcpgen.runtime.middleware.ratelimit import REFUSED
from mcpgen.runtime.middleware.rbac import DECISION
from mcpgen.runtime.pipeline import CallContext, CallError, Next, Result
from mcpgen.runtime.settings import Settings
from mcpgen.runtime.telemetry.metrics import CallStats, Instruments, bounded_target

access_logger = logging.getLogger("mcpgen.access")


def outcome_of(call: CallContext, result: Result) -> str:
    """``ok``, ``error`` (``isError``), ``timeout`` or ``input_required``, for a call that returned."""
    marked = call.state.get("outcome")
    if marked is not None:
        return str(marked)
    if result.get("isError") is True:
        return "error"
    if result.get("resultType") == "input_required":
        return "input_required"
    return "ok"


def target_of(call: CallContext) -> str:
    method = call.method
    registry = call.registry
    if method == "tools/call":
        return bounded_target(method, call.name, registry.tools)
    if method == "prompts/get":
        return bounded_target(method, call.name, registry.prompts)
    return ""


class Metrics:
    """Times and counts each call into the configured sinks."""

    changes_listings = False

    def __init__(
        self,
        instruments: Instruments | None = None,
        stats: CallStats | None = None,
        *,
        access_log: bool = False,
    ) -> None:
        self.instruments = instruments
        self.stats = stats
        self.access_log = access_log
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._gauges: dict[str, Any] = {}

    @classmethod
    def configured(cls, settings: Settings) -> Metrics:
        monitoring = settings.monitoring
        return cls(
            Instruments() if monitoring.metrics else None,
            CallStats() if monitoring.admin_token else None,
            access_log=settings.logging.access_log,
        )

    def _gauge(self, method: str) -> Any:
        gauge = self._gauges.get(method)
        if gauge is None:
            assert self.instruments is not None
            gauge = self._gauges[method] = self.instruments.in_flight.labels(method)
        return gauge

    def _record(self, call: CallContext, target: str, outcome: str, seconds: float) -> None:
        method = call.method
        instruments = self.instruments
        if instruments is not None:
            key = (method, target, outcome)
            children = self._children.get(key)
            if children is None:
                children = self._children[key] = (
                    instruments.calls.labels(*key),
                    instruments.duration.labels(*key),
                )
            children[0].inc()
            children[1].observe(seconds)
        if self.stats is not None:
            self.stats.record(method, target, outcome, seconds)
        if self.access_log:
            ms = round(seconds * 1000, 3)
            extra = {"method": method, "target": target, "outcome": outcome, "duration_ms": ms}
            extra |= {"path": call.path, "wire": call.wire, "transport": call.transport}
            access_logger.info("%s %s %s %.1fms", method, target or "-", outcome, ms, extra=extra)

    @staticmethod
    def _refused(call: CallContext, instruments: Instruments) -> None:
        """Count a refusal by the rate limiter or RBAC (inner middleware mark them in ``call.state``)."""
        state = call.state
        reason = state.get(REFUSED)
        if reason is not None:
            instruments.rate_limited.labels(reason).inc()
        elif state.get(DECISION) == "deny":
            method = call.method
            kind = "tool" if method == "tools/call" else "prompt" if method == "prompts/get" else "resource"
            instruments.forbidden.labels(kind).inc()

    async def __call__(self, call: CallContext, call_next: Next) -> Result:
        target = target_of(call)
        gauge = self._gauge(call.method) if self.instruments is not None else None
        if gauge is not None:
            gauge.inc()
        start = perf_counter()
        outcome = "failed"
        try:
            result = await call_next(call)
            outcome = outcome_of(call, result)
            return result
        except CallError:
            outcome = str(call.state.get("outcome", "rejected"))
            if self.instruments is not None:
                self._refused(call, self.instruments)
            raise
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            if gauge is not None:
                gauge.dec()
            self._record(call, target, outcome, perf_counter() - start)
