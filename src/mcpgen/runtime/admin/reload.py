"""Reload: build a new registry, swap it in only when that worked, and report what changed.

Triggers: ``POST /admin/reload``, ``SIGHUP``, the file watcher of ``mcpgen serve --reload`` and
``mcpgen dev``. All go through one :class:`Reloads`, one at a time. What is rebuilt from is a
:data:`Rebuild` the caller supplies (the manifest file for ``python -m mcpgen.runtime``, the
workspace for ``mcpgen serve``/``dev``); by default the same manifest, its modules imported afresh.
A failed reload keeps the old tools, logs why, and shows in ``/admin/stats`` and in the
``mcpgen_reloads_total{outcome="failed"}`` / ``mcpgen_last_reload_success`` metrics.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import anyio

from mcpgen.errors import McpgenError
from mcpgen.runtime.registry import Registry
from mcpgen.runtime.settings import Settings
from mcpgen.runtime.state import RuntimeState
from mcpgen.runtime.telemetry.metrics import Instruments

logger = logging.getLogger("mcpgen.runtime")

Rebuild = Callable[[Settings], Registry]
"""Builds the new registry with the settings given (a fresh module namespace); raises to refuse."""


def same_manifest(state: RuntimeState) -> Rebuild:
    """Re-import the modules of the manifest being served (picks up edited code, not a new manifest)."""
    return lambda settings: Registry.load(state.registry.manifest, settings, purge=True)


def _entries(registry: Registry) -> dict[str, dict[str, str]]:
    return {
        "tools": {name: t.entry.model_dump_json() for name, t in registry.tools.items()},
        "prompts": {name: p.entry.model_dump_json() for name, p in registry.prompts.items()},
        "resources": {
            r.entry.name: r.entry.model_dump_json()
            for r in (*registry.static_resources.values(), *registry.templates)
        },
    }


def changes(old: Registry, new: Registry) -> dict[str, dict[str, list[str]]]:
    """Per kind (tools, prompts, resources): the names added, removed and changed (their entry differs)."""
    before, after = _entries(old), _entries(new)
    report = {}
    for kind in before:
        a, b = before[kind], after[kind]
        report[kind] = {
            "added": sorted(b.keys() - a.keys()),
            "removed": sorted(a.keys() - b.keys()),
            "changed": sorted(n for n in a.keys() & b.keys() if a[n] != b[n]),
        }
    return report


@dataclass(frozen=True)
class ReloadOutcome:
    ok: bool
    trigger: str
    at: float
    """Wall-clock time (seconds since the epoch) the reload finished."""
    seconds: float
    changes: Mapping[str, Mapping[str, list[str]]] = field(default_factory=dict)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Reloads:
    """Runs reloads one at a time and remembers how the last one went."""

    def __init__(
        self, state: RuntimeState, rebuild: Rebuild | None = None, instruments: Instruments | None = None
    ) -> None:
        self.state = state
        self.rebuild = rebuild if rebuild is not None else same_manifest(state)
        self.instruments = instruments
        self.last: ReloadOutcome | None = None
        self.count = 0
        self.failures = 0
        self._generation = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """The loop serving requests (signals and watcher threads hand their reloads to it)."""
        self._loop = loop

    def run_sync(self, trigger: str) -> ReloadOutcome:
        """Reload now, on this thread (blocks while the new registry is built)."""
        with self._lock:
            self._generation += 1
            base = self.state.settings
            namespace = f"{base.execution.module_namespace}_r{self._generation}"
            started = time.monotonic()
            try:
                new = self.rebuild(base.with_options(module_namespace=namespace))
            except Exception as exc:
                ours = isinstance(exc, McpgenError)
                why = exc.message if isinstance(exc, McpgenError) else f"{type(exc).__name__}: {exc}"
                outcome = ReloadOutcome(False, trigger, time.time(), time.monotonic() - started, error=why)
                logger.error(  # a traceback only for what is not a known kind of failure
                    "reload failed, keeping the previous tools (%s): %s", trigger, why, exc_info=not ours
                )
            else:
                old = self.state.swap(new)
                found = changes(old, new)
                outcome = ReloadOutcome(True, trigger, time.time(), time.monotonic() - started, found)
                summary = "; ".join(
                    f"{kind} {what} {', '.join(names)}"
                    for kind, diff in found.items()
                    for what, names in diff.items()
                    if names
                )
                count = len(new.tools)
                logger.warning("reloaded %d tool(s) (%s): %s", count, trigger, summary or "nothing changed")
            self._note(outcome)
            return outcome

    def _note(self, outcome: ReloadOutcome) -> None:
        self.last = outcome
        self.count += 1
        if not outcome.ok:
            self.failures += 1
        if self.instruments is not None:
            self.instruments.reloads.labels("ok" if outcome.ok else "failed").inc()
            self.instruments.reload_ok.set(1 if outcome.ok else 0)

    async def run(self, trigger: str) -> ReloadOutcome:
        """Reload without blocking the loop (the build runs in a worker thread)."""
        return await anyio.to_thread.run_sync(self.run_sync, trigger)

    def on_signal(self) -> None:
        """``SIGHUP``: reload in the background (called on the loop by its signal handler)."""
        loop = self._loop
        if loop is None:
            return
        task = loop.create_task(self.run("SIGHUP"), name="mcpgen-reload")
        _pending.add(task)
        task.add_done_callback(_pending.discard)


_pending: set[asyncio.Task[ReloadOutcome]] = set()
