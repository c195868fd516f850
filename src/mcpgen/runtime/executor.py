"""Run user code: coroutines on the event loop, sync functions in a bounded thread pool, with a time limit.

:class:`Executor` is the seam: :class:`PythonExecutor` is the real default;
a Node executor (TS/JS tools in worker processes) implements the same method.

Timeouts and cancellation: the call runs inside an anyio cancel scope. When
it fires (timeout) or the client cancels, an async tool is cancelled; a sync
tool's thread cannot be killed, so it is *abandoned*
(``to_thread.run_sync(..., abandon_on_cancel=True)``): the caller gets its
answer at once and anyio releases the :class:`anyio.CapacityLimiter` token
on the way out, so the slot is free for the next call. The abandoned thread
runs on until the function returns; its result is discarded. The pool size
therefore bounds the calls being *waited for*, not threads that are stuck
in code that never returns (those are logged, and the process entry point
does not wait for them at exit).
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Protocol

import anyio
import anyio.to_thread

from mcpgen.errors import ToolTimeoutError

logger = logging.getLogger("mcpgen.runtime")


class Executor(Protocol):
    """Runs one call of user code with a timeout."""

    async def run(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        *,
        is_async: bool,
        time_limit: float,
        name: str,
    ) -> Any:
        """Return what ``fn(*args, **kwargs)`` returns (awaited if needed).

        Raises :class:`ToolTimeoutError` after ``time_limit`` seconds; whatever
        ``fn`` raises propagates unchanged; cancellation of the caller
        cancels (or abandons) the call.
        """
        ...


class PythonExecutor:
    """The default executor: coroutines on the loop, sync functions in a bounded pool of threads."""

    def __init__(self, thread_pool_size: int = 32) -> None:
        self._size = thread_pool_size
        self._limiter: anyio.CapacityLimiter | None = None
        self._abandoned = 0
        self._lock = threading.Lock()

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        # Created lazily: a CapacityLimiter belongs to the event loop that first uses it.
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self._size)
        return self._limiter

    @property
    def abandoned(self) -> int:
        """How many abandoned sync calls are still running in their threads."""
        return self._abandoned

    async def run(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        *,
        is_async: bool,
        time_limit: float,
        name: str,
    ) -> Any:
        with anyio.move_on_after(time_limit) as scope:
            if is_async:
                return await fn(*args, **kwargs)
            done = _Done()
            try:
                result = await anyio.to_thread.run_sync(
                    partial(self._in_thread, done, fn, args, kwargs),
                    abandon_on_cancel=True,
                    limiter=self.limiter,
                )
            except BaseException:
                if not done.value:
                    self._note_abandoned(done, name)
                raise
            if inspect.isawaitable(result):  # a sync function that returned a coroutine
                return await result
            return result
        if scope.cancelled_caught:
            raise ToolTimeoutError(f"{name} timed out after {time_limit:g}s", tool=name, timeout=time_limit)
        raise AssertionError("unreachable")  # pragma: no cover

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
