from __future__ import annotations

import threading
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from mcpgen import Context
from mcpgen.authoring.context import LogLevel


class Recorder:
    def __init__(self) -> None:
        self.logs: list[tuple[str, str, dict[str, Any] | None]] = []
        self.progress: list[tuple[float, float | None, str | None]] = []

    @property
    def request_id(self) -> str | None:
        return "7"

    def log_enabled(self, level: LogLevel) -> bool:
        return level != "debug"

    async def send_log(self, level: LogLevel, message: str, data: dict[str, Any] | None) -> None:
        await anyio.lowlevel.checkpoint()
        self.logs.append((level, message, data))

    async def report_progress(self, progress: float, total: float | None, message: str | None) -> None:
        self.progress.append((progress, total, message))

    def credential(self, name: str) -> str | None:
        return "secret" if name == "KEY" else None


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_log_awaited_not_awaited_and_flushed() -> None:
    backend = Recorder()
    ctx = Context(backend, tool="t")
    await ctx.log("info", "awaited", step=1)
    ctx.warning("fire and forget")
    assert ("warning", "fire and forget", None) not in backend.logs
    ctx.debug("below the client's level: never sent")
    await ctx.flush()
    assert backend.logs == [("info", "awaited", {"step": 1}), ("warning", "fire and forget", None)]
    await ctx.report_progress(1, 2, "half")
    assert backend.progress == [(1, 2, "half")]
    assert (ctx.request_id, ctx.tool_name, ctx.credential("KEY"), ctx.credential("OTHER")) == (
        "7",
        "t",
        "secret",
        None,
    )


@pytest.mark.anyio
async def test_log_from_a_worker_thread_is_delivered_in_order() -> None:
    backend = Recorder()
    ctx = Context(backend)

    def sync_tool() -> None:
        assert threading.current_thread() is not threading.main_thread()
        ctx.info("one")
        ctx.info("two")

    await anyio.to_thread.run_sync(sync_tool)
    assert [m for _, m, _ in backend.logs] == ["one", "two"]


def test_context_without_backend_is_usable_in_unit_tests() -> None:
    ctx = Context()
    ctx.info("no client")
    assert ctx.request_id is None
    assert ctx.credential("KEY") is None
    with pytest.raises(ValueError, match="unknown log level"):
        ctx.log("loud", "x")  # type: ignore[arg-type]
