"""What a running server holds: the current registry (swappable), the thread pool, readiness.

Reload is *build new, then swap*::

    new = Registry.load(manifest, settings, purge=True)   # may raise LoadError: the old one keeps serving
    app.state.mcpgen.swap(new)

Every request reads ``state.registry`` once at its start, so in-flight
calls finish on the registry they started with; new requests see the new
one. ``swap`` tells listeners (``subscribe``) that the lists changed, e.g.
to send ``notifications/tools/list_changed`` later.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

from mcpgen.runtime.connectors.hub import ConnectorHub, fingerprint
from mcpgen.runtime.executors import ThreadPool
from mcpgen.runtime.registry import Registry
from mcpgen.runtime.settings import Settings

logger = logging.getLogger("mcpgen.runtime")

ChangeListener = Callable[[Registry, Registry], None]
"""Called as ``listener(old, new)`` after a swap (on the swapping thread)."""


class RuntimeState:
    """The swappable registry plus the process-wide pieces the protocol handlers need."""

    def __init__(self, registry: Registry, settings: Settings, threads: ThreadPool | None = None) -> None:
        self._registry = registry
        self.settings = settings
        self.threads = threads or ThreadPool(settings.execution.thread_pool_size)
        """The bounded pool sync Python tools run in."""
        self.started_at = time.monotonic()
        self._listeners: list[ChangeListener] = []
        self._lock = threading.Lock()
        self._serving = False
        self._shutting_down = False
        self.connectors = self._hub(registry)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._restarts: set[asyncio.Task[None]] = set()

    def _hub(self, registry: Registry) -> ConnectorHub:
        s = self.settings
        return ConnectorHub(
            list(registry.connectors.values()),
            s.services,
            default_timeout=s.execution.default_timeout,
            database=s.database,
        )

    async def start_connectors(self) -> None:
        """Connect the connectors (raises ``ConnectorStartError`` when a required one cannot)."""
        self._loop = asyncio.get_running_loop()
        await self.connectors.start()

    async def stop_connectors(self) -> None:
        for task in list(self._restarts):
            task.cancel()
        await self.connectors.aclose()

    def _restart_connectors(self, registry: Registry) -> None:
        """After a reload that changed connectors/: close the old ones, start the new (on the loop)."""
        old, new = self.connectors, self._hub(registry)
        self.connectors = new

        async def restart() -> None:
            await old.aclose()
            try:
                await new.start()
            except Exception as exc:  # a required connector failing after a reload: keep serving, say why
                logger.error("connectors not restarted after reload: %s", exc)

        def schedule() -> None:
            task = asyncio.get_running_loop().create_task(restart(), name="mcpgen-connectors-restart")
            self._restarts.add(task)
            task.add_done_callback(self._restarts.discard)

        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(schedule)

    @property
    def registry(self) -> Registry:
        """The registry new requests use (read it once per request)."""
        return self._registry

    def swap(self, registry: Registry) -> Registry:
        """Make ``registry`` current and return the previous one; listeners are told afterwards."""
        with self._lock:
            old, self._registry = self._registry, registry
            listeners = list(self._listeners)
        logger.info("registry swapped: %d tools (was %d)", len(registry.tools), len(old.tools))
        moved = registry.node_pool is not old.node_pool and any(  # TS/JS connectors live in the pool
            c.entry.entrypoint.language != "python" for c in registry.connectors.values()
        )
        if moved or fingerprint(old.connectors, self.settings.root) != fingerprint(
            registry.connectors, self.settings.root
        ):
            self._restart_connectors(registry)
        for listener in listeners:
            try:
                listener(old, registry)
            except Exception:
                logger.exception("registry change listener failed")
        return old

    def subscribe(self, listener: ChangeListener) -> Callable[[], None]:
        """Call ``listener(old, new)`` after every swap; returns a function that unsubscribes."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def notify_changed(self) -> None:
        """Tell listeners the lists changed without swapping (``old is new``)."""
        current = self._registry
        for listener in list(self._listeners):
            try:
                listener(current, current)
            except Exception:
                logger.exception("registry change listener failed")

    # readiness -------------------------------------------------------------

    def mark_serving(self) -> None:
        self._serving = True

    def begin_shutdown(self) -> None:
        """From now on /health/ready answers 503 (in-flight calls still finish)."""
        self._shutting_down = True

    @property
    def ready(self) -> bool:
        """Serving, not shutting down, and every required connector connected."""
        return self._serving and not self._shutting_down and self.connectors.ready

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    @property
    def uptime(self) -> float:
        return time.monotonic() - self.started_at
