"""The real thing: ``python -m mcpgen.runtime`` under uvicorn on 127.0.0.1."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import anyio
import httpx2
import orjson
import pytest
from mcp import Client

from .conftest import RunningServer, fixture_files, make_manifest, start_server

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.integration,
    pytest.mark.xdist_group("runtime-http"),  # one server (http_server) for the module
]

HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def rpc(method: str, params: dict[str, Any] | None = None, id: int = 1) -> bytes:
    return orjson.dumps({"jsonrpc": "2.0", "id": id, "method": method, "params": params or {}})


def sse_json(response: httpx2.Response) -> dict[str, Any]:
    """The JSON-RPC message of a response (plain JSON or the last SSE ``data:`` event)."""
    if response.headers.get("content-type", "").startswith("application/json"):
        data: dict[str, Any] = response.json()
        return data
    events = [line[5:].strip() for line in response.text.splitlines() if line.startswith("data:")]
    message: dict[str, Any] = orjson.loads([e for e in events if e][-1])
    return message


def text_of(result: Any) -> str:
    return "".join(block.text for block in result.content)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_client_lists_and_calls(http_server: RunningServer, mode: str) -> None:
    with anyio.fail_after(15):
        async with Client(http_server.mcp_url, mode=mode) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert {"add", "shout", "work"} <= names
            assert text_of(await client.call_tool("add", {"a": 20, "b": 22})) == "42"
            assert text_of(await client.call_tool("shout", {"text": "hey"})) == "HEY"
            failed = await client.call_tool("crash", {})
            assert failed.is_error
            assert "hunter2" not in text_of(failed)
    assert "hunter2" in http_server.log()  # the traceback went to the server log


async def test_malformed_json_then_a_good_request(http_server: RunningServer) -> None:
    async with httpx2.AsyncClient(base_url=http_server.url, timeout=10) as http:
        bad = await http.post("/mcp", content=b'{"jsonrpc": "2.0", "id": 1, "method": ', headers=HEADERS)
        assert sse_json(bad)["error"]["code"] == -32700
        good = await http.post(
            "/mcp", content=rpc("tools/call", {"name": "add", "arguments": {"a": 1, "b": 1}}), headers=HEADERS
        )
        assert good.status_code == 200
        assert sse_json(good)["result"]["content"][0]["text"] == "2"


async def test_unknown_method(http_server: RunningServer) -> None:
    async with httpx2.AsyncClient(base_url=http_server.url, timeout=10) as http:
        response = await http.post("/mcp", content=rpc("tools/frobnicate"), headers=HEADERS)
        assert sse_json(response)["error"]["code"] == -32601


async def test_oversized_get_and_bad_origin(http_server: RunningServer) -> None:
    async with httpx2.AsyncClient(base_url=http_server.url, timeout=10) as http:
        big = rpc("tools/call", {"name": "shout", "arguments": {"text": "x" * (5 * 1024 * 1024)}})
        assert (await http.post("/mcp", content=big, headers=HEADERS)).status_code == 413
        assert (await http.get("/mcp", headers={"accept": "text/event-stream"})).status_code == 405
        evil = await http.post(
            "/mcp", content=rpc("tools/list"), headers={**HEADERS, "origin": "http://evil.example"}
        )
        assert evil.status_code == 403


async def test_health_endpoints(http_server: RunningServer) -> None:
    async with httpx2.AsyncClient(base_url=http_server.url, timeout=10) as http:
        health = (await http.get("/health")).json()
        assert health["status"] == "ok"
        assert health["server"]["name"] == "runtime-test"
        assert health["tools"] > 10
        assert (await http.get("/health/live")).json() == {"status": "ok"}
        assert (await http.get("/health/ready")).status_code == 200


async def test_timed_out_sync_calls_do_not_exhaust_the_pool(http_server: RunningServer) -> None:
    # The server runs with --threads 2; six sync calls stuck in time.sleep(5) time out after 0.3 s each.
    async with Client(http_server.mcp_url) as client:
        results: list[Any] = []

        async def stuck() -> None:
            results.append(await client.call_tool("sleepy", {"seconds": 5}))

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                for _ in range(6):
                    tg.start_soon(stuck)
        assert [text_of(r) for r in results] == ["Tool 'sleepy' timed out after 0.3s"] * 6
        with anyio.fail_after(2):
            assert text_of(await client.call_tool("sleepy", {"seconds": 0})) == "woke"


async def test_sigterm_during_a_raw_sse_call(tmp_path: Path) -> None:
    """Handshake-era wire, no client library: the SSE answer of an in-flight call survives SIGTERM."""
    make_manifest(tmp_path, fixture_files())
    server = start_server(tmp_path)
    try:
        body = rpc("tools/call", {"name": "slow_ctx", "arguments": {"seconds": 1.0}}, id=7)
        events: list[dict[str, Any]] = []
        with anyio.fail_after(20):
            async with (
                httpx2.AsyncClient(base_url=server.url, timeout=20) as http,
                http.stream("POST", "/mcp", content=body, headers=HEADERS) as response,
            ):
                async for line in response.aiter_lines():
                    if not line.startswith("data:") or not line[5:].strip():
                        continue
                    events.append(orjson.loads(line[5:]))
                    if events[-1].get("method") == "notifications/message":
                        server.proc.send_signal(signal.SIGTERM)
            code = await anyio.to_thread.run_sync(server.proc.wait)
        assert events[0]["params"]["data"] == "started"
        assert events[-1]["id"] == 7
        assert events[-1]["result"]["content"][0]["text"] == "finished after 1.0"
        assert code == 0, server.log()
    finally:
        server.stop()
