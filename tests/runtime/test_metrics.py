"""Prometheus metrics: counted per method, target and outcome on both paths and both wires.

Each test serves the basic fixture in process, sends real requests over the ASGI transport, then reads
``/metrics`` back with prometheus_client's own parser -- and, where installed, checks the exposition
with ``promtool check metrics``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import anyio
import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families

from mcpgen.runtime import create_app
from mcpgen.runtime.telemetry.metrics import Instruments, StateCollector, exposition
from promtool_support import promtool

from .conftest import SRC, fixture_files, make_manifest
from .test_fastpath import body, call, legacy, modern

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def serving(tmp_path: Path, **settings: Any) -> AsyncIterator[httpx2.AsyncClient]:
    manifest, s = make_manifest(tmp_path, fixture_files("basic"), **settings)
    app = create_app(manifest, s)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            yield client


async def tool_call(client: httpx2.AsyncClient, wire: str, name: str, arguments: dict[str, Any]) -> None:
    if wire == "modern":
        content, headers = (
            body("tools/call", call(name, arguments), envelope=True),
            modern("tools/call", name),
        )
    else:
        content, headers = body("tools/call", call(name, arguments)), legacy()
    response = await client.post("/mcp", content=content, headers=headers)
    assert response.status_code in (200, 400, 404), response.text


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast", "sdk"])
@pytest.mark.parametrize("wire", ["legacy", "modern"])
async def test_calls_are_counted_by_target_and_outcome(tmp_path: Path, fast_path: bool, wire: str) -> None:
    async with serving(tmp_path, fast_path=fast_path) as client:
        for _ in range(3):
            await tool_call(client, wire, "add", {"a": 1, "b": 2})
        await tool_call(client, wire, "refuse", {"reason": "no"})  # ToolError: isError
        await tool_call(client, wire, "hang", {})  # its 0.5 s limit
        await tool_call(client, wire, "no-such-tool", {})  # -32602, and not a new label value
        await tool_call(client, wire, "add", {"a": "x", "b": 1})  # invalid arguments: -32602
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    tools = {"method": "tools/call"}
    assert value(found, "mcpgen_calls_total", **tools, target="add", outcome="ok") == 3
    assert value(found, "mcpgen_calls_total", **tools, target="refuse", outcome="error") == 1
    assert value(found, "mcpgen_calls_total", **tools, target="hang", outcome="timeout") == 1
    assert value(found, "mcpgen_calls_total", **tools, target="unknown", outcome="rejected") == 1
    assert value(found, "mcpgen_calls_total", **tools, target="add", outcome="rejected") == 1
    assert not any("no-such-tool" in str(labels) for _, labels in found)
    assert value(found, "mcpgen_call_duration_seconds_count", **tools, target="add", outcome="ok") == 3
    assert (
        value(
            found, "mcpgen_call_duration_seconds_bucket", **tools, target="hang", outcome="timeout", le="0.25"
        )
        == 0
    )
    assert (
        value(
            found, "mcpgen_call_duration_seconds_bucket", **tools, target="hang", outcome="timeout", le="1.0"
        )
        == 1
    )
    assert value(found, "mcpgen_calls_in_flight", method="tools/call") == 0
    assert value(found, "mcpgen_request_size_bytes_count") == 7
    assert value(found, "mcpgen_tools") > 5
    build = [labels for name, labels in found if name == "mcpgen_build_info"]
    assert build
    assert ("server", "runtime-test") in build[0]


async def test_in_flight_counts_a_running_call(tmp_path: Path) -> None:
    async with serving(tmp_path) as client:
        async with anyio.create_task_group() as group:
            group.start_soon(tool_call, client, "legacy", "slow", {"seconds": 1.0})
            for _ in range(100):
                await anyio.sleep(0.02)
                if value(
                    samples((await client.get("/metrics")).text),
                    "mcpgen_calls_in_flight",
                    method="tools/call",
                ):
                    break
            else:
                pytest.fail("the running call never showed in mcpgen_calls_in_flight")
        after = samples((await client.get("/metrics")).text)
        assert value(after, "mcpgen_calls_in_flight", method="tools/call") == 0


async def test_metrics_off_means_no_endpoint(tmp_path: Path) -> None:
    async with serving(tmp_path, metrics=False) as client:
        assert (await client.get("/metrics")).status_code == 404
        await tool_call(client, "legacy", "add", {"a": 1, "b": 2})


async def test_metrics_path_is_configurable(tmp_path: Path) -> None:
    async with serving(tmp_path, metrics_path="/internal/prom") as client:
        assert (await client.get("/metrics")).status_code == 404
        assert "mcpgen_build_info" in (await client.get("/internal/prom")).text


async def test_promtool_accepts_the_exposition(tmp_path: Path) -> None:
    tool = promtool()
    async with serving(tmp_path) as client:
        await tool_call(client, "legacy", "add", {"a": 1, "b": 2})
        await tool_call(client, "modern", "refuse", {"reason": "x"})
        text = (await client.get("/metrics")).text
    command = [tool, "check", "metrics"]
    checked = await anyio.to_thread.run_sync(
        lambda: subprocess.run(command, input=text.encode(), capture_output=True, timeout=60)
    )
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()


WORKER = textwrap.dedent(
    """
    import sys
    from mcpgen.runtime.telemetry.metrics import Instruments
    m = Instruments()
    for _ in range(int(sys.argv[1])):
        m.calls.labels("tools/call", "add", "ok").inc()
        m.duration.labels("tools/call", "add", "ok").observe(0.01)
    m.in_flight.labels("tools/call").inc()
    m.request_size.observe(100)
    """
)


def test_multiprocess_mode_merges_every_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With PROMETHEUS_MULTIPROC_DIR (several server processes), one scrape sums what each recorded."""
    directory = tmp_path / "prom"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "PYTHONPATH": str(SRC)}
    for count in (2, 5):  # two "server processes"
        subprocess.run([sys.executable, "-c", WORKER, str(count)], env=env, check=True, timeout=60)
    assert len(list(directory.glob("*.db"))) >= 2
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    found = samples(exposition(Instruments(), None).decode())
    labels = {"method": "tools/call", "target": "add", "outcome": "ok"}
    assert value(found, "mcpgen_calls_total", **labels) == 7
    assert value(found, "mcpgen_call_duration_seconds_count", **labels) == 7
    assert value(found, "mcpgen_request_size_bytes_count") == 2
    # livesum: summed over processes not marked dead (prometheus_client.multiprocess.mark_process_dead)
    assert value(found, "mcpgen_calls_in_flight", method="tools/call") == 2


class _Hub:
    def __init__(self, snapshot: dict[str, dict[str, Any]]) -> None:
        self._snapshot = snapshot

    def __bool__(self) -> bool:
        return bool(self._snapshot)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return self._snapshot


def test_connector_and_circuit_state_are_read_when_scraped(tmp_path: Path) -> None:
    manifest, _ = make_manifest(tmp_path, {})
    hub = _Hub(
        {
            "crm": {"state": "connected", "circuit": "closed"},
            "mail": {"state": "degraded", "circuit": "open"},
        }
    )
    registry = SimpleNamespace(manifest=manifest, tools={}, node_pool=None)
    state = SimpleNamespace(registry=registry, connectors=hub, uptime=1.5)
    instruments = Instruments()
    instruments.registry.register(StateCollector(lambda: state, lambda: 3))  # type: ignore[arg-type,return-value]
    found = samples(exposition(instruments, None).decode())
    assert value(found, "mcpgen_connector_up", connector="crm") == 1
    assert value(found, "mcpgen_connector_up", connector="mail") == 0
    assert value(found, "mcpgen_connector_state", connector="mail", state="degraded") == 1
    assert value(found, "mcpgen_connector_state", connector="mail", state="connected") == 0
    assert value(found, "mcpgen_connector_circuit_state", connector="mail", state="open") == 1
    assert value(found, "mcpgen_connector_circuit_state", connector="crm", state="closed") == 1
    assert value(found, "mcpgen_sessions_active") == 3
    assert value(found, "mcpgen_uptime_seconds") == 1.5


async def test_sessions_are_counted(tmp_path: Path) -> None:
    initialize = {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    }
    async with serving(tmp_path, protocol_mode="stateful", json_response=True) as client:
        before = samples((await client.get("/metrics")).text)
        response = await client.post("/mcp", content=body("initialize", initialize), headers=legacy())
        assert response.headers.get("mcp-session-id"), response.text
        after = samples((await client.get("/metrics")).text)
    assert value(before, "mcpgen_sessions_active") == 0
    assert value(after, "mcpgen_sessions_active") == 1
