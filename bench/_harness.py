"""Shared pieces of the benchmarks: server processes, MCP requests on both wires, checks, load.

Stdlib only, so every script runs under any interpreter; the *servers* run
under ``bench/.venv`` (made by ``bench/setup.sh``). Everything talks to
127.0.0.1 only, and only processes started here are ever stopped (by PID).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent


def _fastmcp_version() -> str:
    """The FastMCP version installed in bench/.venv (read from its metadata, no import)."""
    venv_site = sorted((Path(__file__).resolve().parent / ".venv" / "lib").glob("python*/site-packages"))
    for site in venv_site:
        for meta in site.glob("fastmcp-*.dist-info"):
            return meta.name.removeprefix("fastmcp-").removesuffix(".dist-info")
    return "?"


FASTMCP_LABEL = f"FastMCP {_fastmcp_version()}"
REPO = BENCH.parent
OUT = BENCH / ".out"
SERVERS = BENCH / "servers"
DEMO_TOOLS = REPO / "examples" / "demo" / "tools"
BENCH_WORKSPACE = BENCH / "workspaces" / "bench"


def tool_source(name: str) -> Path:
    """Where a bench tool file comes from: the demo's own files for summarize, else the bench workspace."""
    return DEMO_TOOLS / name if name in ("summarize.py", "_text.py") else BENCH_WORKSPACE / "tools" / name


VENV = BENCH / ".venv"
HOST = "127.0.0.1"
PINNING = True
"""Pin servers and wrk to separate CPUs when the machine has two or more (see ``cpu_split``)."""

LEGACY = "2025-11-25"
MODERN = "2026-07-28"
WIRES = (LEGACY, MODERN)

sys.path.insert(0, str(DEMO_TOOLS))
from _text import summarize_text  # noqa: E402  (the demo's algorithm: expected results)

# 928 characters, 12 sentences (2 off-topic): what every server summarizes on each `summarize` call.
ARTICLE = (
    "Solar power has become the cheapest source of new electricity in much of the world. "
    "The price of solar panels fell by roughly ninety percent over the last decade. "
    "Utilities now build solar farms next to existing grid connections to save money. "
    "Storage is the missing piece, because solar panels produce nothing at night. "
    "Battery prices are falling too, and large battery farms can shift solar power into the evening. "
    "My cousin bought a red bicycle last summer. "
    "Grid operators say that cheap storage will decide how much solar power the grid can absorb. "
    "Some countries already curtail solar output on sunny afternoons because the grid is full. "
    "Engineers are testing home batteries that sell power back to the grid during peak hours. "
    "The weather in the mountains was pleasant. "
    "Analysts expect solar capacity to triple again before the end of the decade. "
    "Cheap solar power and cheap storage together could replace most coal plants."
)
CALLS: dict[str, dict[str, Any]] = {
    "add": {"a": 2, "b": 3},
    "summarize": {"text": ARTICLE, "max_length": 200, "style": "bullet"},
}


def expected_text(tool: str) -> str:
    """The text content a correct server returns for ``CALLS[tool]``."""
    if tool == "add":
        return "5"
    if tool == "summarize":
        args = CALLS["summarize"]
        return summarize_text(args["text"], args["max_length"], args["style"])
    if tool.startswith("noop_"):
        return "0"
    raise ValueError(tool)


def venv_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        raise SystemExit("bench/.venv is missing: run `bash bench/setup.sh` first")
    return python


# ---------------------------------------------------------------------------- wire

AUTH_HEADERS: dict[str, str] = {}
"""Sent with every request (``--guarded`` puts ``Authorization: Bearer <key>`` here)."""


def tools_call(
    tool: str, arguments: dict[str, Any], wire: str, request_id: int = 1
) -> tuple[dict[str, str], bytes]:
    """Headers and body of one ``tools/call`` POST on ``wire``.

    2025-11-25: a plain JSON-RPC request with the ``MCP-Protocol-Version``
    header; the servers are stateless, so no ``initialize`` comes first.
    2026-07-28: what ``mcp.Client(mode="2026-07-28")`` sends (captured from
    the SDK 2.3 client): the per-request ``_meta`` envelope (protocol
    version, client info, client capabilities) plus the ``Mcp-Method`` and
    ``Mcp-Name`` routing headers mirrored from the body.
    """
    params: dict[str, Any] = {"name": tool, "arguments": arguments}
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": wire,
        **AUTH_HEADERS,
    }
    if wire == MODERN:
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientInfo": {"name": "mcpgen-bench", "version": "0.1.0"},
            "io.modelcontextprotocol/clientCapabilities": {},
        }
        headers["Mcp-Method"] = "tools/call"
        headers["Mcp-Name"] = tool
    body = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}
    return headers, json.dumps(body, separators=(",", ":")).encode()


def tools_list(wire: str) -> tuple[dict[str, str], bytes]:
    headers, raw = tools_call("x", {}, wire)
    body = json.loads(raw)
    body["method"] = "tools/list"
    body["params"].pop("name")
    body["params"].pop("arguments")
    if wire == MODERN:
        headers["Mcp-Method"] = "tools/list"
        del headers["Mcp-Name"]
    return headers, json.dumps(body, separators=(",", ":")).encode()


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes
    message: dict[str, Any] | None = None
    """The JSON-RPC response (from a JSON body or the SSE event carrying it)."""
    raw_message: str = ""
    """That response exactly as it appeared on the wire."""


def post(port: int, headers: dict[str, str], body: bytes, timeout: float = 10.0) -> Reply:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("POST", "/mcp", body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        reply = Reply(response.status, response.getheader("content-type", ""), data)
    finally:
        conn.close()
    text = data.decode("utf-8", "replace")
    if reply.content_type.startswith("text/event-stream"):
        for line in text.splitlines():
            if line.startswith("data:"):
                payload = line[5:].strip()
                message = _json(payload)
                if isinstance(message, dict) and "id" in message:
                    reply.message, reply.raw_message = message, payload
    else:
        message = _json(text)
        if isinstance(message, dict):
            reply.message, reply.raw_message = message, text
    return reply


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def check_call(reply: Reply, tool: str) -> str | None:
    """``None`` when ``reply`` is a correct result for ``CALLS[tool]``, else what is wrong."""
    if reply.status != 200:
        return f"HTTP {reply.status}: {reply.body[:200]!r}"
    if reply.message is None:
        return f"no JSON-RPC response in the body: {reply.body[:200]!r}"
    result = reply.message.get("result")
    if not isinstance(result, dict):
        return f"not a result: {reply.raw_message[:300]}"
    if result.get("isError"):
        return f"isError: {reply.raw_message[:300]}"
    content = result.get("content") or [{}]
    text = content[0].get("text")
    want = expected_text(tool)
    if text != want:
        return f"wrong text: got {text!r}, want {want!r}"
    structured = result.get("structuredContent")
    if tool == "add" and structured not in (None, {"result": 5}):
        return f"wrong structuredContent: {structured!r}"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------------------- processes


@dataclass
class Server:
    """A server process started by us (its own session, so a stop reaches its children too)."""

    name: str
    cmd: list[str]
    port: int
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    cpus: str | None = None
    """Pin the server to these CPUs (``taskset -c``), e.g. ``"0"``."""
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                pinned(self.cmd, self.cpus),
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the group we created at start (start_new_session)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.proc = None

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def pinned(cmd: list[str], cpus: str | None) -> list[str]:
    """``cmd`` run on ``cpus`` only (``taskset`` execs it: same PID), or unchanged."""
    if cpus is None or shutil.which("taskset") is None:
        return cmd
    return ["taskset", "-c", cpus, *cmd]


def cpu_split() -> tuple[str | None, str | None]:
    """(server CPUs, load-generator CPUs): one core each on a 2+ core machine, else no pinning."""
    count = os.cpu_count() or 1
    if not PINNING or count < 2 or shutil.which("taskset") is None:
        return None, None
    return "0", "1" if count == 2 else f"1-{count - 1}"


def wait_for_call(server: Server, tool: str, wire: str, timeout: float, interval: float = 0.005) -> float:
    """Poll until ``tool`` answers correctly; returns the seconds it took. Raises on timeout or exit."""
    headers, body = tools_call(tool, CALLS.get(tool, {}), wire)
    start = time.perf_counter()
    last = "no answer"
    while time.perf_counter() - start < timeout:
        if not server.alive():
            raise RuntimeError(f"{server.name} exited early:\n{server.tail()}")
        try:
            reply = post(server.port, headers, body, timeout=5)
        except OSError as exc:  # not listening yet
            last = str(exc)
            time.sleep(interval)
            continue
        problem = check_call(reply, tool)
        if problem is None:
            return time.perf_counter() - start
        last = problem
        time.sleep(interval)
    raise RuntimeError(
        f"{server.name}: no correct {tool} answer within {timeout}s (last: {last})\n{server.tail()}"
    )


# ---------------------------------------------------------------------------- load


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    """Socket errors, timeouts, non-200 answers and answers without the expected result."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _lua_string(text: str) -> str:
    level = 1
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


_LUA = """-- generated by bench/_harness.py: POST one fixed tools/call, check every answer
wrk.method = "POST"
wrk.body = {body}
{headers}
local marker = {marker}
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, marker, 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local e = summary.errors
  io.write(string.format('WRKJSON {{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"errors":%d,"bad":%d}}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.status + e.timeout, b))
end
"""


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    port: int, headers: dict[str, str], body: bytes, marker: str, concurrency: int, seconds: float
) -> LoadResult:
    """Closed-loop load with wrk: one thread, on the CPUs ``cpu_split`` leaves to the client."""
    script = OUT / f"wrk-{os.getpid()}.lua"
    script.parent.mkdir(parents=True, exist_ok=True)
    lines = "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    script.write_text(_LUA.format(body=_lua_string(body.decode()), headers=lines, marker=_lua_string(marker)))
    cmd = [
        *pinned([], cpu_split()[1]),
        "wrk",
        "-t1",
        f"-c{concurrency}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://{HOST}:{port}/mcp",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    data = json.loads(line[len("WRKJSON ") :])
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=data["errors"] + data["bad"],
    )


def run_python_load(
    port: int, headers: dict[str, str], body: bytes, marker: str, concurrency: int, seconds: float
) -> LoadResult:
    """Fallback when wrk is missing: asyncio keep-alive connections over raw sockets.

    Slower than wrk and it competes harder for the CPU, so its numbers are
    lower bounds; results say which client produced them.
    """
    import asyncio

    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (
        f"POST /mcp HTTP/1.1\r\nHost: {HOST}:{port}\r\n{head}Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    marker_bytes = marker.encode()
    latencies: list[float] = []
    errors = 0

    async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
        status_line = await reader.readline()
        status = int(status_line.split()[1])
        length, chunked = None, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if not chunked:
            return status, await reader.readexactly(length or 0)
        parts = []
        while (size := int((await reader.readline()).split(b";")[0], 16)) > 0:
            parts.append(await reader.readexactly(size))
            await reader.readline()
        await reader.readline()
        return status, b"".join(parts)

    async def worker(deadline: float) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                writer.write(request)
                status, data = await read_response(reader)
                latencies.append(time.perf_counter() - start)
                if status != 200 or marker_bytes not in data:
                    errors += 1
        finally:
            writer.close()

    async def main() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(worker(start + seconds) for _ in range(concurrency)))
        return time.perf_counter() - start

    client_cpus = cpu_split()[1]
    previous = os.sched_getaffinity(0)
    if client_cpus is not None:  # like wrk: keep off the server's CPU
        first, _, last = client_cpus.partition("-")
        os.sched_setaffinity(0, range(int(first), int(last or first) + 1))
    try:
        elapsed = asyncio.run(main())
    finally:
        os.sched_setaffinity(0, previous)
    latencies.sort()
    return LoadResult(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=_percentile(latencies, 50) * 1000,
        p99_ms=_percentile(latencies, 99) * 1000,
        errors=errors,
    )


def _percentile(values: Sequence[float], pct: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(len(values) * pct / 100))]


LoadFn = Callable[[int, dict[str, str], bytes, str, int, float], LoadResult]


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    import platform

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": f"{cpu}, {os.cpu_count()} logical CPUs",
        "memory": mem,
        "os": f"{platform.system()} {platform.release()} ({_os_name()})",
        "python": platform.python_version(),
    }


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return "unknown"


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
