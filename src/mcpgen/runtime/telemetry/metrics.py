"""Prometheus metrics: the instruments, what is read at scrape time, the exposition, call stats.

Every name starts with ``mcpgen_``; docs/observability.md lists them with their labels. Labels are
bounded: ``method`` is one of the pipeline's methods, ``target`` a tool or prompt name *from the
manifest* (anything else is ``unknown``; resource reads and the lists have an empty target),
``outcome`` one of :data:`OUTCOMES`.

- :class:`Instruments`: what the middleware and the endpoint update per request (calls, duration,
  in flight, request size, refusals by the rate limiter, the auth gate and RBAC) and the reload counters;
- :class:`StateCollector`: what is read when scraped (Node workers, connectors, circuits, sessions,
  build info), so nothing is paid per request for it;
- :func:`exposition`: the text format; with ``PROMETHEUS_MULTIPROC_DIR`` set (several server
  processes) the per-request instruments are merged from every process's files
  (``prometheus_client.multiprocess``) and the scrape-time ones are this process's;
- :class:`CallStats`: per-target counts and recent latencies in this process, for ``/admin/stats``.
"""

from __future__ import annotations

import math
import os
import platform
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from mcpgen._version import __version__

if TYPE_CHECKING:
    from mcpgen.runtime.state import RuntimeState

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OUTCOMES = ("ok", "error", "timeout", "rejected", "input_required", "cancelled", "failed")
"""``ok``; ``error``: a tool result with ``isError``; ``timeout``: the time limit cut it off;
``rejected``: a JSON-RPC error answer (unknown tool, invalid arguments, ...); ``input_required``: a
2026-07-28 input round; ``cancelled``: the client went away; ``failed``: an unexpected exception."""
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
SIZE_BUCKETS = (256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216)
CONNECTOR_STATES = ("connected", "degraded", "disconnected", "error")
CIRCUIT_STATES = ("closed", "open", "half-open")
RATE_LIMIT_REASONS = ("client", "tool", "concurrency")
"""Why the rate limiter refused a call: the client's rate, the tool's rate, the client's concurrency cap."""
AUTH_FAILURE_REASONS = ("missing", "invalid", "expired", "revoked", "unavailable")
"""Why ``/mcp`` answered 401: no credentials; a credential that is malformed, badly signed or for another
audience or issuer; one past its expiry; an unknown (revoked) API key or a token the issuer says is no longer
active; the issuer's keys or introspection could not be reached."""


def multiprocess_dir() -> str | None:
    """``PROMETHEUS_MULTIPROC_DIR`` when set (prometheus_client then keeps values in files there)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Instruments:
    """The per-request instruments, registered in ``registry`` (a fresh one by default)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        r = self.registry
        call = ["method", "target", "outcome"]
        self.calls = Counter(
            "mcpgen_calls", "MCP requests answered, by method, target and outcome.", call, registry=r
        )
        self.duration = Histogram(
            "mcpgen_call_duration_seconds",
            "Time to answer an MCP request, by method, target and outcome.",
            call,
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "mcpgen_calls_in_flight",
            "MCP requests being answered right now, by method.",
            ["method"],
            multiprocess_mode="livesum",
            registry=r,
        )
        self.request_size = Histogram(
            "mcpgen_request_size_bytes",
            "Size of MCP request bodies received over HTTP.",
            buckets=SIZE_BUCKETS,
            registry=r,
        )
        self.reloads = Counter(
            "mcpgen_reloads", "Registry reloads, by outcome (ok or failed).", ["outcome"], registry=r
        )
        self.reload_ok = Gauge(
            "mcpgen_last_reload_success",
            "1 when the last reload succeeded (or none happened), 0 when it failed and old tools serve.",
            multiprocess_mode="min",
            registry=r,
        )
        self.reload_ok.set(1)
        self.rate_limited = Counter(
            "mcpgen_rate_limited",
            "Calls refused by the rate limiter, by reason (client, tool, concurrency).",
            ["reason"],
            registry=r,
        )
        self.auth_failures = Counter(
            "mcpgen_auth_failures",
            "Requests to /mcp refused with 401, by reason (missing, invalid, expired, revoked, unavailable).",
            ["reason"],
            registry=r,
        )
        self.forbidden = Counter(
            "mcpgen_forbidden",
            "Calls the caller's roles do not allow (RBAC), by kind (tool, resource, prompt).",
            ["kind"],
            registry=r,
        )
        self.cache_hits = Counter(
            "mcpgen_cache_hits", "Tool calls answered from the result cache, by tool.", ["tool"], registry=r
        )
        self.cache_misses = Counter(
            "mcpgen_cache_misses",
            "Calls of cached tools that ran (not in the cache), by tool.",
            ["tool"],
            registry=r,
        )
        for reason in RATE_LIMIT_REASONS:  # every bounded series exists from the start: rate() sees the first
            self.rate_limited.labels(reason)
        for reason in AUTH_FAILURE_REASONS:
            self.auth_failures.labels(reason)
        for kind in ("tool", "resource", "prompt"):
            self.forbidden.labels(kind)

    def auth_failed(self, reason: str) -> None:
        """Count a 401 (``reason``: one of :data:`AUTH_FAILURE_REASONS`)."""
        self.auth_failures.labels(reason).inc()


class StateCollector:
    """Gauges and counters read from the runtime state when scraped."""

    def __init__(self, state: Callable[[], RuntimeState], sessions: Callable[[], int] | None = None) -> None:
        self._state = state
        self._sessions = sessions

    def describe(self) -> Iterable[Metric]:
        return []  # the families depend on what is loaded: not checked at registration

    def collect(self) -> Iterable[Metric]:
        state = self._state()
        registry = state.registry
        info = registry.manifest.server
        build = GaugeMetricFamily(
            "mcpgen_build_info",
            "Versions of this server (always 1).",
            labels=["version", "server", "server_version", "python"],
        )
        build.add_metric([__version__, info.name, info.version, platform.python_version()], 1)
        yield build
        yield GaugeMetricFamily(
            "mcpgen_uptime_seconds", "Seconds since this server process started.", value=state.uptime
        )
        yield GaugeMetricFamily(
            "mcpgen_tools", "Tools the current registry serves.", value=len(registry.tools)
        )
        if self._sessions is not None:
            yield GaugeMetricFamily(
                "mcpgen_sessions_active", "Open 2025-era MCP sessions (stateful).", value=self._sessions()
            )
        pool = registry.node_pool
        if pool is not None:
            yield GaugeMetricFamily(
                "mcpgen_node_workers", "Live Node worker processes.", value=len(pool.workers)
            )
            yield GaugeMetricFamily(
                "mcpgen_node_workers_busy", "Node workers running at least one call.", value=pool.busy
            )
            yield CounterMetricFamily(
                "mcpgen_node_worker_restarts", "Node workers restarted after dying.", value=pool.restarts
            )
            yield CounterMetricFamily(
                "mcpgen_node_worker_crashes", "Node workers that died unasked.", value=pool.crashes
            )
        hub = state.connectors
        if hub:
            up = GaugeMetricFamily(
                "mcpgen_connector_up", "1 when the connector is connected.", labels=["connector"]
            )
            states = GaugeMetricFamily(
                "mcpgen_connector_state",
                "1 for the connector's current state.",
                labels=["connector", "state"],
            )
            circuits = GaugeMetricFamily(
                "mcpgen_connector_circuit_state",
                "1 for the circuit breaker's current state.",
                labels=["connector", "state"],
            )
            for name, snap in hub.snapshot().items():
                up.add_metric([name], 1 if snap["state"] == "connected" else 0)
                for value in CONNECTOR_STATES:
                    states.add_metric([name, value], 1 if snap["state"] == value else 0)
                for value in CIRCUIT_STATES:
                    circuits.add_metric([name, value], 1 if snap["circuit"] == value else 0)
            yield up
            yield states
            yield circuits


def exposition(instruments: Instruments, collector: StateCollector | None) -> bytes:
    """The metrics in Prometheus text format (merged across processes in multi-process mode)."""
    path = multiprocess_dir()
    if path is None:
        return generate_latest(instruments.registry)
    merged = CollectorRegistry()
    MultiProcessCollector(merged, path=path)  # type: ignore[no-untyped-call]
    if collector is not None:
        merged.register(collector)
    return generate_latest(merged)


@dataclass
class TargetStats:
    calls: int = 0
    errors: int = 0
    """Every outcome but ``ok`` and ``input_required``."""
    timeouts: int = 0
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=1024))


class CallStats:
    """Calls per target in this process, with the latencies of the last 1024 of each (``/admin/stats``)."""

    def __init__(self) -> None:
        self.started = time.time()
        self.targets: dict[tuple[str, str], TargetStats] = {}

    def record(self, method: str, target: str, outcome: str, seconds: float) -> None:
        key = (method, target)
        stats = self.targets.get(key)
        if stats is None:
            stats = self.targets[key] = TargetStats()
        stats.calls += 1
        if outcome not in ("ok", "input_required"):
            stats.errors += 1
            if outcome == "timeout":
                stats.timeouts += 1
        stats.latencies.append(seconds)

    def snapshot(self) -> list[dict[str, Any]]:
        rows = []
        for (method, target), s in sorted(self.targets.items()):
            ordered = sorted(s.latencies)
            rows.append(
                {
                    "method": method,
                    "target": target,
                    "calls": s.calls,
                    "errors": s.errors,
                    "timeouts": s.timeouts,
                    "errorRate": round(s.errors / s.calls, 4) if s.calls else 0.0,
                    "p50Ms": _percentile(ordered, 0.50),
                    "p99Ms": _percentile(ordered, 0.99),
                }
            )
        return rows


def _percentile(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))  # nearest rank
    return round(ordered[index] * 1000, 3)


def bounded_target(method: str, name: str, known: Mapping[str, Any] | None) -> str:
    """The ``target`` label: ``name`` when the manifest knows it, ``unknown`` otherwise, ``""`` for
    methods without a low-cardinality target (resource reads, the lists)."""
    if known is None:
        return ""
    return name if name in known else "unknown"
