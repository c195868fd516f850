"""TS/JS tools in the Node worker pool, in memory (SDK ``Client(server)``) and as a real server process."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from mcpgen.manifest import Manifest
from mcpgen.runtime import Registry, RuntimeState, Settings, build_server
from mcpgen.runtime.executors import NodeExecutor
from mcpgen.runtime.node_pool import CallHooks, NodePool, NodeWorkerError
from mcpgen.workflows.generate import generate

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("runtime-node-tools")]  # one manifest
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "workspaces" / "node_faults"
INVALID_PARAMS = -32602


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("node") / "ws"
    shutil.copytree(FIXTURE, root)
    return root


@pytest.fixture(scope="module")
def manifest(workspace: Path) -> Manifest:
    gen = generate(workspace)
    assert gen.report.ok, str(gen.report)
    assert gen.manifest is not None
    return gen.manifest


@pytest.fixture
async def state(
    workspace: Path, manifest: Manifest, request: pytest.FixtureRequest
) -> AsyncIterator[RuntimeState]:
    """A server over the workspace; ``node_workers`` is 2 unless parametrized (``indirect=True``)."""
    settings = Settings.of(workspace, node_workers=getattr(request, "param", 2), default_timeout=10)
    registry = Registry.load(manifest, settings)
    try:
        yield RuntimeState(registry, settings)
    finally:
        await registry.aclose()


@pytest.fixture
async def client(state: RuntimeState) -> AsyncIterator[Client]:
    async with Client(build_server(state), mode="legacy") as c:
        yield c


def text_of(result: Any) -> str:
    return "".join(block.text for block in result.content)


async def test_lists_node_and_python_tools_side_by_side(client: Client) -> None:
    names = sorted(t.name for t in (await client.list_tools()).tools)
    assert {"echo", "seed_weather", "py_add", "throws"} <= set(names)
    assert (await client.call_tool("py_add", {"a": 2, "b": 3})).structured_content == {"result": 5}


async def test_context_logs_progress_request_id_and_declared_credentials_only(
    client: Client, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECHO_TOKEN", "t0k3n")
    caplog.set_level(logging.DEBUG)
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(p: float, total: float | None, message: str | None) -> None:
        progress.append((p, total, message))

    result = await client.call_tool("echo", {"text": "hi"}, progress_callback=on_progress)
    assert result.is_error is False
    value = json.loads(text_of(result))
    assert value["text"] == "hi"
    assert value["requestId"] is not None
    assert value["token"] == "t0k3n"  # declared with @requires-credential
    assert value["other"] is None  # PATH is set but not declared
    assert progress == [(1, 2, "half way")]
    server_log = "\n".join(r.getMessage() for r in caplog.records)
    assert "console says hi" in server_log  # console.* goes to the server log
    assert "raw stdout write" in server_log  # process.stdout.write too, never onto the protocol
    assert "echoing" in server_log


async def test_arguments_are_validated_before_node(client: Client) -> None:
    with pytest.raises(MCPError) as info:
        await client.call_tool("echo", {"text": 5})
    assert info.value.error.code == INVALID_PARAMS
    assert "text" in info.value.error.message


async def test_seed_tool_gets_config_and_derived_schema(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    schema = tools["seed_weather"].input_schema
    assert schema["required"] == ["city"]
    assert schema["properties"]["units"]["enum"] == ["metric", "imperial"]
    assert text_of(await client.call_tool("seed_weather", {"city": "Oslo"})) == "hello Oslo in metric"
    with pytest.raises(MCPError):
        await client.call_tool("seed_weather", {"town": "Oslo"})


async def test_handler_errors_become_is_error_and_validation_errors_invalid_params(client: Client) -> None:
    thrown = await client.call_tool("throws", {})
    assert thrown.is_error is True
    assert text_of(thrown) == "boom from JS"
    with pytest.raises(MCPError) as info:
        await client.call_tool("rejects_input", {})
    assert info.value.error.code == INVALID_PARAMS
    assert "n must be even" in info.value.error.message
    big = await client.call_tool("bigint", {})
    assert big.is_error is True
    assert "not JSON" in text_of(big)
    exited = await client.call_tool("exits", {})
    assert exited.is_error is True
    assert "process.exit(3)" in text_of(exited)
    assert text_of(await client.call_tool("echo", {"text": "still here"}))


async def test_content_result_passes_through(client: Client) -> None:
    result = await client.call_tool("content", {})
    assert [b.text for b in result.content] == ["first", "second"]  # type: ignore[union-attr]


async def test_timeout_cancels_the_call_in_the_worker(
    client: Client, state: RuntimeState, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    result = await client.call_tool("hangs", {})
    assert result.is_error is True
    assert text_of(result) == "Tool 'hangs' timed out after 1s"
    with anyio.fail_after(10):
        while not any("hangs was cancelled" in r.getMessage() for r in caplog.records):  # noqa: ASYNC110
            await anyio.sleep(0.05)
    pool = state.registry.node_pool
    assert pool is not None
    assert pool.restarts == 0  # a cancellable call does not cost the worker


async def warm_pool(state: RuntimeState, client: Client, cancel_grace: float) -> NodePool:
    """The server's pool with every worker started (each takes ``cancel_grace`` when it starts)."""
    pool = state.registry.node_pool
    assert pool is not None
    pool.cancel_grace = cancel_grace
    with anyio.fail_after(20):
        while len(pool.workers) < pool.size:  # workers start on demand
            await client.call_tool("slow_read", {})
    return pool


async def logged(caplog: pytest.LogCaptureFixture, text: str, times: int = 1) -> list[str]:
    """Wait until ``times`` server log messages contain ``text``; return them."""
    with anyio.fail_after(10):
        while len(found := [r.getMessage() for r in caplog.records if text in r.getMessage()]) < times:  # noqa: ASYNC110
            await anyio.sleep(0.02)
    return found


@pytest.mark.parametrize("state", [1, 2], ids=["1 worker", "2 workers"], indirect=True)
async def test_a_busy_loop_past_its_timeout_fails_no_other_call(
    client: Client, state: RuntimeState, caplog: pytest.LogCaptureFixture
) -> None:
    """Calls that started beside the busy loop (read-only), and calls sent while it spins, all succeed:
    the stuck worker is killed and replaced, and its calls run on a healthy worker."""
    caplog.set_level(logging.INFO)
    pool = await warm_pool(state, client, cancel_grace=0.5)
    results: dict[str, Any] = {}

    async def call(name: str, key: str) -> None:
        results[key] = await client.call_tool(name, {})

    async with anyio.create_task_group() as tg:
        started = len(await logged(caplog, "slow_read started"))
        for n in range(2 * pool.size):  # started on every worker before the loop blocks one of them
            tg.start_soon(call, "slow_read", f"before{n}")
        await logged(caplog, "slow_read started", started + 2 * pool.size)
        before = {w.pid for w in pool.workers}
        tg.start_soon(call, "busy", "busy")
        spinning = (await logged(caplog, "spinning in"))[0]
        n = 0
        while "busy" not in results or n < 10:  # while it spins, and after it timed out
            tg.start_soon(call, "slow", f"during{n}")
            n += 1
            await anyio.sleep(0.1)
    assert text_of(results.pop("busy")) == "Tool 'busy' timed out after 1s"
    failed = {k: text_of(r) for k, r in results.items() if r.is_error}
    assert not failed
    assert all(text_of(r) == "slow done" for k, r in results.items() if k.startswith("during"))
    stuck = int(spinning.rsplit(" ", 1)[1])
    assert stuck in before
    assert not _exists(stuck)  # killed and reaped
    assert pool.restarts >= 1
    for _ in range(2 * pool.size):  # the pool keeps serving, never on the stuck worker
        served = text_of(await client.call_tool("slow_read", {}))
        assert served.startswith("read in ")
        assert served != f"read in {stuck}"


@pytest.mark.parametrize("state", [1, 2], ids=["1 worker", "2 workers"], indirect=True)
async def test_a_worker_with_an_unconfirmed_cancellation_gets_no_new_calls(
    client: Client, state: RuntimeState, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO)
    pool = await warm_pool(state, client, cancel_grace=60)  # it stays suspect (not killed) for the whole test
    assert text_of(await client.call_tool("busy", {})) == "Tool 'busy' timed out after 1s"
    [stuck] = [w for w in pool.workers if w.suspect]
    sent_to_stuck: list[Any] = []
    monkeypatch.setattr(stuck, "submit", lambda *args, **kwargs: sent_to_stuck.append(args))
    with anyio.fail_after(10):  # long before the 60 s grace: a fresh worker or the other one serves
        for _ in range(3):
            assert text_of(await client.call_tool("slow", {})) == "slow done"
    assert sent_to_stuck == []
    if pool.size == 1:  # a fresh worker took its place; with two, the other one took the calls
        assert stuck not in pool.workers
    await stuck.kill()


@pytest.mark.parametrize("state", [2], ids=["2 workers"], indirect=True)
async def test_a_worker_that_leaves_a_call_unread_gets_no_call_another_worker_can_take(
    client: Client, state: RuntimeState, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO)
    pool = await warm_pool(state, client, cancel_grace=0.5)
    async with anyio.create_task_group() as tg:
        tg.start_soon(client.call_tool, "busy_long", {})  # spins, and will not time out during the test
        spinning = (await logged(caplog, "spinning in"))[0]
        [stuck] = [w for w in pool.workers if w.pid == int(spinning.rsplit(" ", 1)[1])]
        executor = state.registry.tools["slow"].executor
        assert isinstance(executor, NodeExecutor)
        binding = executor.binding
        params = {"path": binding.path, "attribute": binding.attribute, "kind": binding.kind, "arguments": {}}
        call_id, unread = stuck.submit(params, CallHooks(tool="slow"))  # lands behind the loop, unread
        assert stuck.read_up_to() < call_id
        with anyio.fail_after(10):
            while not stuck.stalled(time.monotonic()):  # noqa: ASYNC110
                await anyio.sleep(0.05)
        assert not stuck.suspect  # nothing was cancelled: it is avoided because it reads nothing
        sent_to_stuck: list[Any] = []
        monkeypatch.setattr(stuck, "submit", lambda *args, **kwargs: sent_to_stuck.append(args))
        results: list[Any] = []

        async def slow() -> None:
            results.append(await client.call_tool("slow", {}))

        async with anyio.create_task_group() as calls:  # the other worker gets busier than the stuck one
            for _ in range(6):
                calls.start_soon(slow)
        assert [text_of(r) for r in results] == ["slow done"] * 6
        assert sent_to_stuck == []
        await stuck.kill()
    with pytest.raises(NodeWorkerError) as info:  # never read, so free to run elsewhere
        await unread.future
    assert getattr(info.value, "started", None) is False


@pytest.mark.parametrize("state", [1], ids=["1 worker"], indirect=True)
async def test_a_started_call_runs_again_only_if_its_tool_says_that_is_harmless(
    client: Client, state: RuntimeState, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await warm_pool(state, client, cancel_grace=0.5)
    results: dict[str, Any] = {}

    async def call(name: str) -> None:
        results[name] = await client.call_tool(name, {})

    async with anyio.create_task_group() as tg:
        reads = len(await logged(caplog, "slow_read started"))
        tg.start_soon(call, "slow_read")  # readOnlyHint
        tg.start_soon(call, "slow_write")  # no hints: it may have written something
        await logged(caplog, "slow_read started", reads + 1)
        await logged(caplog, "slow_write started")
        tg.start_soon(call, "busy")
    assert results["slow_read"].is_error is False
    assert len(await logged(caplog, "slow_read started")) == reads + 2  # ran again on the fresh worker
    write = results["slow_write"]
    assert write.is_error is True
    assert "did not stop tool 'busy'" in text_of(write)
    assert "mark 'slow_write' readOnlyHint or idempotentHint" in text_of(write)
    assert len(await logged(caplog, "slow_write started")) == 1  # never run twice
    assert text_of(await client.call_tool("slow_write", {})) == "written"


@pytest.mark.parametrize(("tool", "why"), [("crashes", "signal SIGKILL"), ("garbage", "not protocol JSON")])
async def test_crashed_worker_fails_only_its_in_flight_calls_and_restarts(
    client: Client, state: RuntimeState, tool: str, why: str
) -> None:
    pool = state.registry.node_pool
    assert pool is not None
    await client.call_tool("echo", {"text": "warm up"})
    async with anyio.create_task_group() as tg:
        results: dict[str, Any] = {}

        async def call(name: str, key: str) -> None:
            results[key] = await client.call_tool(name, {})

        for n in range(4):
            tg.start_soon(call, "slow", f"slow{n}")
        await anyio.sleep(0.05)
        tg.start_soon(call, tool, "bad")
    bad = results["bad"]
    assert bad.is_error is True
    assert why in text_of(bad)
    assert "Node worker (pid" in text_of(bad)
    slow_ok = [k for k in results if k.startswith("slow") and not results[k].is_error]
    assert slow_ok, "calls on the other worker must succeed"
    for key in results:
        if key.startswith("slow") and results[key].is_error:
            assert "while running this call" in text_of(results[key])
    assert text_of(await client.call_tool("echo", {"text": "again"}))
    assert pool.restarts >= 1


async def test_stdio_serving_keeps_console_off_the_wire_and_leaves_no_workers(workspace: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcpgen", "-q", "serve", str(workspace), "--transport", "stdio"],
        env={**os.environ, "ECHO_TOKEN": "x"},
    )
    async with Client(params) as client:
        result = await client.call_tool("echo", {"text": "over stdio"})  # prints to stdout in Node
        assert result.is_error is False
        assert "over stdio" in text_of(result)
        worker_pids = _workers_of(workspace)
        assert worker_pids
    for pid in worker_pids:  # gone and reaped: no process, no zombie
        assert not _exists(pid)


def _workers_of(workspace: Path) -> list[int]:
    pattern = f"bridge.mjs serve {workspace}"
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False)
    return [int(p) for p in found.stdout.split()]


def _exists(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()
