"""Against a real server process: memory stays bounded under floods (RSS from /proc), shutdown answers.

- A tool returning 200 MB: before the result cap the server's RSS went to
  ~980 MB (the result serialized twice, then copied); now the result is
  refused with ``isError`` and the peak stays near the 200 MB the tool itself
  allocated.
- 2,500 sessions opened at once (the cap set to 2,500): they all open, the
  next one gets 503, RSS stays bounded, and the server still answers.
- A call still running when the shutdown grace ends gets 503 and a JSON-RPC
  error (it used to get uvicorn's plain-text 500).
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import httpx2
import orjson
import pytest

from .conftest import fixture_files, make_manifest, start_server

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

MB = 1024 * 1024
SESSIONS = 2500
BIG = '''
from mcpgen import tool


@tool(timeout=60)
def big(size: int) -> str:
    """A result of `size` characters."""
    return "x" * size
'''
HEADERS = {
    "accept": "application/json, text/event-stream",
    "content-type": "application/json",
    "mcp-protocol-version": "2025-11-25",
}


def memory(pid: int) -> dict[str, int]:
    """``VmRSS`` (now) and ``VmHWM`` (peak) of process ``pid``, in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) * 1024
    return found


def message(method: str, params: dict[str, object], id: int = 1) -> bytes:
    return orjson.dumps({"jsonrpc": "2.0", "id": id, "method": method, "params": params})


INITIALIZE = message(
    "initialize",
    {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "flood", "version": "1"}},
)


def test_a_200_mb_result_is_refused_and_sessions_are_capped(tmp_path: Path) -> None:
    make_manifest(tmp_path, {**fixture_files("basic"), "big.py": BIG})
    server = start_server(
        tmp_path, "--json-response", "--set", f"server.max_sessions={SESSIONS}", "--threads", "2"
    )
    try:
        pid = server.proc.pid
        with httpx2.Client(base_url=server.url, headers=HEADERS, timeout=60) as http:
            add = message("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}})
            assert http.post("/mcp", content=add).json()["result"]["content"][0]["text"] == "3"
            base = memory(pid)["VmRSS"]

            big = message("tools/call", {"name": "big", "arguments": {"size": 200 * MB}})
            result = http.post("/mcp", content=big).json()["result"]
            assert result["isError"] is True
            assert "server.max_result_size" in result["content"][0]["text"]
            peak = memory(pid)["VmHWM"]
            assert peak - base < 320 * MB, f"peak RSS grew {(peak - base) // MB} MB for a refused result"

        opened, refused, rss = asyncio.run(flood(server.url, pid))
        assert (opened, refused) == (SESSIONS, 1)
        print(f"RSS: {base // MB} MB at start, peak {peak // MB} MB, {rss // MB} MB with {SESSIONS} sessions")
        assert rss - base < 400 * MB, f"RSS grew {(rss - base) // MB} MB for {SESSIONS} sessions"
        with httpx2.Client(base_url=server.url, headers=HEADERS, timeout=30) as http:  # still serving
            assert http.post("/mcp", content=add).json()["result"]["content"][0]["text"] == "3"
    finally:
        assert server.stop() == 0, server.log()[-3000:]


async def flood(url: str, pid: int) -> tuple[int, int, int]:
    """Open ``SESSIONS`` + 1 sessions, 50 at a time: ``(opened, refused, RSS afterwards)``."""
    limits = httpx2.Limits(max_connections=50, max_keepalive_connections=50)
    statuses: list[int] = []
    async with httpx2.AsyncClient(base_url=url, headers=HEADERS, timeout=60, limits=limits) as http:
        semaphore = asyncio.Semaphore(50)

        async def open_one() -> None:
            async with semaphore:
                response = await http.post("/mcp", content=INITIALIZE)
                statuses.append(response.status_code)

        await asyncio.gather(*(open_one() for _ in range(SESSIONS)))
        extra = await http.post("/mcp", content=INITIALIZE)
        statuses.append(extra.status_code)
    return statuses.count(200), statuses.count(503), memory(pid)["VmRSS"]


@pytest.mark.parametrize("fast_path", [True, False])
def test_a_call_still_running_past_the_grace_gets_a_json_rpc_error(tmp_path: Path, fast_path: bool) -> None:
    """Not uvicorn's plain-text 500: 503 and a JSON-RPC error under the call's id; the server exits 0."""
    make_manifest(tmp_path, fixture_files("basic"))
    extra = [] if fast_path else ["--set", "server.fast_path=false"]
    server = start_server(tmp_path, "--json-response", "--graceful-shutdown-timeout", "1", *extra)
    try:
        slow = message("tools/call", {"name": "slow", "arguments": {"seconds": 20}}, id=31)

        async def call_then_stop() -> httpx2.Response:
            async with httpx2.AsyncClient(base_url=server.url, headers=HEADERS, timeout=30) as http:
                pending = asyncio.ensure_future(http.post("/mcp", content=slow))
                await asyncio.sleep(0.5)  # the call is running (a subprocess: nothing to await on)
                server.proc.send_signal(signal.SIGTERM)
                return await pending

        response = asyncio.run(call_then_stop())
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/json"
        answer = response.json()
        assert answer["id"] == 31
        assert answer["error"]["code"] == -32603
        assert "shut down before the call finished" in answer["error"]["message"]
        assert server.proc.wait(timeout=20) == 0, server.log()[-3000:]
    finally:
        server.stop()
