"""Python user code: coroutines on the event loop, sync functions in a bounded pool of threads.

:class:`PythonExecutor` is one target's executor (a tool, resource or prompt
function plus how to bind its arguments); :class:`ThreadPool` is the bounded
pool every sync function shares.

Cancellation (the pipeline's time limit, or the client going away) cancels
an async function. A sync function's thread cannot be killed, so it is
*abandoned* (``to_thread.run_sync(..., abandon_on_cancel=True)``): the
caller gets its answer at once and the pool's slot is released on the way
out. The abandoned thread runs on until the function returns; its result is
discarded. The pool size therefore bounds the calls being *waited for*, not
threads stuck in code that never returns (those are counted and logged, and
the process entry point does not wait for them at exit).
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import anyio
import anyio.to_thread

from mcpgen.runtime.executors.base import InvalidArguments, Invocation

logger = logging.getLogger("mcpgen.runtime")

Binder = Callable[[Invocation], tuple[tuple[Any, ...], dict[str, Any]]]
"""``invocation -> (args, kwargs)`` for the function; raises ``ValueError`` naming the field."""


class ThreadPool:
    """At most ``size`` sync calls waited for at once, in worker threads."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._limiter: anyio.CapacityLimiter | None = None
        self._abandoned = 0
        self._lock = threading.Lock()

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        # Created lazily: a CapacityLimiter belongs to the event loop that first uses it.
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.size)
        return self._limiter

    @property
    def abandoned(self) -> int:
        """How many abandoned sync calls are still running in their threads."""
        return self._abandoned

    async def run(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any], name: str
    ) -> Any:
        """``fn(*args, **kwargs)`` in a worker thread (awaited if it returns an awaitable)."""
        done = _Done()
        try:
            result = await anyio.to_thread.run_sync(
                partial(self._in_thread, done, fn, args, kwargs), abandon_on_cancel=True, limiter=self.limiter
            )
        except BaseException:
            if not done.value:
                self._note_abandoned(done, name)
            raise
        if inspect.isawaitable(result):  # a sync function that returned a coroutine
            return await result
        return result

    def _in_thread(
        self, done: _Done, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
    ) -> Any:
        try:
            return fn(*args, **kwargs)
        finally:
            with self._lock:
                done.value = True
                if done.abandoned:
                    self._abandoned -= 1

    def _note_abandoned(self, done: _Done, name: str) -> None:
        with self._lock:
            if done.value:  # finished in the meantime
                return
            done.abandoned = True
            self._abandoned += 1
            count = self._abandoned
        logger.warning(
            "abandoned a sync call still running in its thread (%d now)", count, extra={"tool": name}
        )


class _Done:
    __slots__ = ("abandoned", "value")

    def __init__(self) -> None:
        self.value = False
        self.abandoned = False


class PythonExecutor:
    """Runs one Python function: ``async def`` on the loop, a sync one in the invocation's thread pool."""

    __slots__ = ("_bind", "_fn", "_is_async")

    def __init__(self, fn: Callable[..., Any], is_async: bool, bind: Binder) -> None:
        self._fn = fn
        self._is_async = is_async
        self._bind = bind

    async def execute(self, invocation: Invocation) -> Any:
        try:
            args, kwargs = self._bind(invocation)
        except ValueError as exc:
            raise InvalidArguments(str(exc)) from None
        if self._is_async:
            return await self._fn(*args, **kwargs)
        return await invocation.threads.run(self._fn, args, kwargs, invocation.name)
