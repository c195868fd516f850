"""PythonExecutor: threads, time limits, freed slots, cancellation."""

from __future__ import annotations

import threading

import anyio
import pytest

from mcpgen.errors import ToolTimeoutError
from mcpgen.runtime import PythonExecutor

pytestmark = pytest.mark.anyio


async def test_runs_sync_in_a_thread_and_async_on_the_loop() -> None:
    executor = PythonExecutor(2)
    loop_thread = threading.get_ident()

    async def coro(x: int) -> tuple[int, int]:
        return x, threading.get_ident()

    value, ident = await executor.run(coro, (1,), {}, is_async=True, time_limit=1, name="a")
    assert (value, ident) == (1, loop_thread)
    value, ident = await executor.run(
        lambda x: (x, threading.get_ident()), (2,), {}, is_async=False, time_limit=1, name="s"
    )
    assert value == 2
    assert ident != loop_thread


async def test_exceptions_propagate() -> None:
    def boom() -> None:
        raise KeyError("x")

    with pytest.raises(KeyError):
        await PythonExecutor(1).run(boom, (), {}, is_async=False, time_limit=1, name="boom")


async def test_async_time_limit() -> None:
    async def forever() -> None:
        await anyio.Event().wait()

    with anyio.fail_after(5), pytest.raises(ToolTimeoutError) as info:
        await PythonExecutor(1).run(forever, (), {}, is_async=True, time_limit=0.05, name="forever")
    assert info.value.timeout == 0.05
    assert info.value.tool == "forever"


async def test_timed_out_sync_calls_free_their_slot() -> None:
    executor = PythonExecutor(1)
    release = threading.Event()
    try:
        for _ in range(3):  # each would hold the only slot forever if the slot were kept
            with anyio.fail_after(5), pytest.raises(ToolTimeoutError):
                await executor.run(release.wait, (10,), {}, is_async=False, time_limit=0.05, name="stuck")
        assert executor.abandoned == 3
        with anyio.fail_after(5):
            assert (
                await executor.run(lambda: "free", (), {}, is_async=False, time_limit=5, name="quick")
                == "free"
            )
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
            executor = PythonExecutor(1)

            async def call() -> None:
                await executor.run(waits, (), {}, is_async=True, time_limit=60, name="waits")

            tg.start_soon(call)
            await started.wait()
            tg.cancel_scope.cancel()
        await cancelled.wait()
