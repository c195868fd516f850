"""What a running server holds: the current registry (swappable), the executor, readiness.

Reload is *build new, then swap*::

    new = Registry.load(manifest, settings, purge=True)   # may raise LoadError: the old one keeps serving
    app.state.mcpgen.swap(new)

Every request reads ``state.registry`` once at its start, so in-flight
calls finish on the registry they started with; new requests see the new
one. ``swap`` tells listeners (``subscribe``) that the lists changed, e.g.
to send ``notifications/tools/list_changed`` later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from mcpgen.runtime.executor import Executor, PythonExecutor
from mcpgen.runtime.registry import Registry
from mcpgen.runtime.settings import Settings

logger = logging.getLogger("mcpgen.runtime")

ChangeListener = Callable[[Registry, Registry], None]
"""Called as ``listener(old, new)`` after a swap (on the swapping thread)."""


class RuntimeState:
    """The swappable registry plus the process-wide pieces the protocol handlers need."""

    def __init__(self, registry: Registry, settings: Settings, executor: Executor | None = None) -> None:
        self._registry = registry
        self.settings = settings
        self.executor: Executor = executor or PythonExecutor(settings.thread_pool_size)
        self.started_at = time.monotonic()
        self._listeners: list[ChangeListener] = []
        self._lock = threading.Lock()
        self._serving = False
        self._shutting_down = False

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
        return self._serving and not self._shutting_down

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    @property
    def uptime(self) -> float:
        return time.monotonic() - self.started_at
