"""TS/JS tools in the Node worker pool, in memory (SDK ``Client(server)``) and as a real server process."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from mcpgen.manifest import Manifest
from mcpgen.runtime import Registry, RuntimeState, Settings, build_server
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
async def state(workspace: Path, manifest: Manifest) -> AsyncIterator[RuntimeState]:
    settings = Settings(root=workspace, node_workers=2, default_timeout=10)
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


async def test_busy_loop_past_timeout_kills_and_restarts_the_worker(
    client: Client, state: RuntimeState
) -> None:
    result = await client.call_tool("busy", {})
    assert text_of(result) == "Tool 'busy' timed out after 1s"
    pool = state.registry.node_pool
    assert pool is not None
    for _ in range(4):  # every worker slot serves again
        assert text_of(await client.call_tool("echo", {"text": "after"}))


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
