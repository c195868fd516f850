"""Executors and the pipeline's time limit: threads, freed slots, cancellation."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import anyio
import pytest

from mcpgen.authoring import Context
from mcpgen.errors import ToolTimeoutError
from mcpgen.runtime import PythonExecutor, ThreadPool
from mcpgen.runtime.executors import InvalidArguments, Invocation
from mcpgen.runtime.pipeline import execute

pytestmark = pytest.mark.anyio


def _invocation(threads: ThreadPool, name: str = "t", limit: float = 5, **arguments: Any) -> Invocation:
    return Invocation(name, arguments, Context(), {}, None, 1, limit, threads)


def _positional(invocation: Invocation) -> tuple[tuple[Any, ...], dict[str, Any]]:
    return tuple(invocation.arguments.values()), {}


def _executor(fn: Callable[..., Any], is_async: bool) -> PythonExecutor:
    return PythonExecutor(fn, is_async, _positional)


async def test_runs_sync_in_a_thread_and_async_on_the_loop() -> None:
    threads = ThreadPool(2)
    loop_thread = threading.get_ident()

    async def coro(x: int) -> tuple[int, int]:
        return x, threading.get_ident()

    value, ident = await execute(_executor(coro, True), _invocation(threads, x=1))
    assert (value, ident) == (1, loop_thread)
    value, ident = await execute(
        _executor(lambda x: (x, threading.get_ident()), False), _invocation(threads, x=2)
    )
    assert value == 2
    assert ident != loop_thread


async def test_exceptions_propagate() -> None:
    def boom() -> None:
        raise KeyError("x")

    with pytest.raises(KeyError):
        await execute(_executor(boom, False), _invocation(ThreadPool(1)))


async def test_binding_errors_are_invalid_arguments() -> None:
    def bind(invocation: Invocation) -> tuple[tuple[Any, ...], dict[str, Any]]:
        raise ValueError("x: not a number")

    with pytest.raises(InvalidArguments, match="x: not a number"):
        await execute(PythonExecutor(lambda: None, False, bind), _invocation(ThreadPool(1)))


async def test_async_time_limit() -> None:
    async def forever() -> None:
        await anyio.Event().wait()

    with anyio.fail_after(5), pytest.raises(ToolTimeoutError) as info:
        await execute(_executor(forever, True), _invocation(ThreadPool(1), "forever", 0.05))
    assert info.value.timeout == 0.05
    assert info.value.tool == "forever"


async def test_timed_out_sync_calls_free_their_slot() -> None:
    threads = ThreadPool(1)
    release = threading.Event()
    try:
        for _ in range(3):  # each would hold the only slot forever if the slot were kept
            with anyio.fail_after(5), pytest.raises(ToolTimeoutError):
                await execute(_executor(release.wait, False), _invocation(threads, "stuck", 0.05, t=10))
        assert threads.abandoned == 3
        with anyio.fail_after(5):
            assert await execute(_executor(lambda: "free", False), _invocation(threads)) == "free"
    finally:
        release.set()


async def test_caller_cancellation_cancels_the_call() -> None:
    cancelled = anyio.Event()
    started = anyio.Event()

    async def waits() -> None:
        started.set()
        try:
            await anyio.Event().wait()
        finally:
            cancelled.set()

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:

            async def call() -> None:
                await execute(_executor(waits, True), _invocation(ThreadPool(1), limit=60))

            tg.start_soon(call)
            await started.wait()
            tg.cancel_scope.cancel()
        await cancelled.wait()


async def test_calls_that_wait_get_what_they_waited_for() -> None:
    # execute() runs a call's first step itself and finishes the rest under the time limit: values,
    # exceptions and cancellations must reach the tool exactly as a plain `await` would deliver them
    loop = asyncio.get_running_loop()

    async def waits_twice(x: int) -> int:
        await asyncio.sleep(0)
        future: asyncio.Future[int] = loop.create_future()
        loop.call_soon(future.set_result, 40)
        return x + await future

    async def fails_after_waiting() -> None:
        await asyncio.sleep(0)
        raise KeyError("late")

    with anyio.fail_after(5):
        assert await execute(_executor(waits_twice, True), _invocation(ThreadPool(1), x=2)) == 42
        with pytest.raises(KeyError, match="late"):
            await execute(_executor(fails_after_waiting, True), _invocation(ThreadPool(1)))


async def test_a_timed_out_call_sees_its_cancellation() -> None:
    seen: list[str] = []

    async def cleans_up() -> None:
        try:
            await anyio.Event().wait()
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        finally:
            seen.append("finally")

    with anyio.fail_after(5), pytest.raises(ToolTimeoutError):
        await execute(_executor(cleans_up, True), _invocation(ThreadPool(1), "slow", 0.05))
    assert seen == ["cancelled", "finally"]
