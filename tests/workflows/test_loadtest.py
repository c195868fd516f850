"""`mcpgen loadtest` workflow: bounds, URL safety, answer checks, and short real runs on both wires.

One real server (``mcpgen serve`` of a small workspace, in a subprocess) serves the whole module;
every run is bounded by a request count (a few dozen calls) so it takes well under a second.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import orjson
import pytest

from mcpgen.errors import LoadTestError, UsageError
from mcpgen.workflows import loadtest as lt
from mcpgen.workflows import served
from mcpgen.workflows.loadtest import LoadOptions

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "workspaces" / "loadtest"


def make_workspace(root: Path) -> Path:
    """A private copy of the fixture workspace (serving writes .mcpgen/ into it)."""
    shutil.copytree(FIXTURE, root)
    return root


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The fixture workspace served once for the module; the load runs go to its URL."""
    ws = make_workspace(tmp_path_factory.mktemp("loadtest") / "ws")
    log = ws / "server.log"
    with served.running_server(
        lambda port: served.serve_command(ws, port),
        log,
        ready_timeout=60,
        fail=LoadTestError,
    ) as mcp_url:
        yield mcp_url


def run(url: str, **options: object) -> lt.LoadReport:
    defaults: dict[str, object] = {"concurrency": 4, "duration": 30.0}
    return lt.loadtest(url, LoadOptions(**{**defaults, **options}))  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ real runs


@pytest.mark.parametrize("wire", lt.WIRES)
def test_every_answer_is_counted(url: str, wire: str) -> None:
    report = run(url, tool="add", arguments={"a": 2, "b": 3}, requests=40, wire=wire)
    assert report.requests == 40  # the count bound stops it, not the 30 s duration
    assert report.stopped_by == "requests"
    assert report.errors == 0, report.stats.samples
    assert sum(report.stats.ok_per_second) == 40
    assert report.passed(0.0)
    lat = report.latency_ms()
    assert 0 < lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    assert report.session is (wire == lt.LEGACY)  # the default (auto) mode keeps 2025 sessions


@pytest.mark.parametrize("wire", lt.WIRES)
def test_tool_errors_are_counted_by_kind(url: str, wire: str) -> None:
    report = run(url, tool="flaky", arguments={}, requests=30, wire=wire, concurrency=3)
    assert report.requests == 30
    # 30 consecutive calls of a tool that fails every third call: exactly 10 failed answers
    assert dict(report.stats.errors) == {"tool error": 10}
    assert "fails on purpose" in report.stats.samples["tool error"]
    assert len(report.stats.failed) == 10
    assert sum(report.stats.errors_per_second) == 10
    assert not report.passed(0.0)
    assert not report.passed(0.2)
    assert report.passed(0.34)
    data = report.to_data(0.34)
    assert data["errors"] == 10
    assert data["ok"] == 20
    assert data["passed"] is True
    assert data["errorsByKind"] == {"tool error": 10}


def test_timeouts_are_counted(url: str) -> None:
    report = run(url, tool="slow", arguments={"seconds": 2}, requests=2, concurrency=2, timeout=0.2)
    assert dict(report.stats.errors) == {lt.TIMEOUT: 2}
    assert all(latency < 1.5 for latency in report.stats.latencies)


def test_duration_bounds_the_run(url: str) -> None:
    report = run(url, tool="add", arguments={"a": 1, "b": 1}, duration=0.3, concurrency=2)
    assert report.stopped_by == "duration"
    assert report.requests > 0
    assert report.errors == 0
    assert 0.3 <= report.elapsed < 5


def test_unknown_tool_names_the_tools(url: str) -> None:
    with pytest.raises(LoadTestError, match=r"no tool 'nope'; its tools: add, flaky, slow"):
        run(url, tool="nope", arguments={}, requests=1)


def test_arguments_are_checked_against_the_schema_first(url: str) -> None:
    with pytest.raises(
        UsageError, match=r"input schema of 'add': \(arguments\): \"b\" is a required property"
    ):
        run(url, tool="add", arguments={"a": 1}, requests=1)


def test_unreachable_url_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(LoadTestError, match=rf"cannot reach http://127.0.0.1:{port}/mcp"):
            run(f"http://127.0.0.1:{port}/mcp", tool="add", arguments={}, requests=1)


def test_connection_failures_are_counted() -> None:
    async def main(port: int) -> tuple[str | None, str]:
        call = lt.CallTemplate.build("add", {}, lt.MODERN, {})
        async with httpx.AsyncClient(trust_env=False) as http:
            return await lt._one(http, f"http://127.0.0.1:{port}/mcp", call, 1)

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        kind, sample = anyio.run(main, sock.getsockname()[1])
    assert kind == lt.CONNECTION
    assert "ConnectError" in sample


# ------------------------------------------------------------------------------------------ checks


def _response(status: int, body: object, content_type: str = "application/json") -> httpx.Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return httpx.Response(status, content=content, headers={"content-type": content_type})


def test_classify_each_kind() -> None:
    ok = {"jsonrpc": "2.0", "id": 7, "result": {"content": [{"type": "text", "text": "5"}]}}
    assert lt.classify(_response(200, ok), 7) == (None, "")
    assert lt.classify(_response(503, b"busy"), 7) == ("http 503", "busy")
    error = {"jsonrpc": "2.0", "id": 7, "error": {"code": -32602, "message": "bad"}}
    assert lt.classify(_response(200, error), 7)[0] == "jsonrpc -32602"
    failed = {
        "jsonrpc": "2.0",
        "id": 7,
        "result": {"isError": True, "content": [{"type": "text", "text": "no"}]},
    }
    assert lt.classify(_response(200, failed), 7) == (lt.TOOL_ERROR, "no")
    assert lt.classify(_response(200, ok), 8)[0] == lt.INVALID  # someone else's answer
    assert lt.classify(_response(200, b"<html>"), 7)[0] == lt.INVALID
    assert lt.classify(_response(200, {"jsonrpc": "2.0", "id": 7}), 7)[0] == lt.INVALID


def test_classify_reads_sse_bodies() -> None:
    ok = orjson.dumps({"jsonrpc": "2.0", "id": 3, "result": {"content": []}})
    note = orjson.dumps({"jsonrpc": "2.0", "method": "notifications/message", "params": {}})
    body = b"event: message\ndata: " + note + b"\n\nevent: message\ndata: " + ok + b"\n\n"
    assert lt.classify(_response(200, body, "text/event-stream"), 3) == (None, "")


def test_call_template_splices_the_id() -> None:
    call = lt.CallTemplate.build("add", {"a": 1}, lt.MODERN, {"Authorization": "Bearer k"})
    body = orjson.loads(call.body(12345))
    assert body["id"] == 12345
    assert body["method"] == "tools/call"
    assert body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] == lt.MODERN
    assert call.headers["Mcp-Name"] == "add"
    assert call.headers["Authorization"] == "Bearer k"
    legacy = orjson.loads(lt.CallTemplate.build("add", {}, lt.LEGACY, {}).body(1))
    assert "_meta" not in legacy["params"]


# ------------------------------------------------------------------------------------------ safety


@pytest.mark.parametrize(
    "target",
    ["http://127.0.0.1:8080/mcp", "http://localhost:1/mcp", "http://[::1]:9/mcp", "http://127.8.0.1/x"],
)
def test_loopback_urls_are_allowed(target: str) -> None:
    assert lt.check_url(target, allow_remote=False) == target


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/mcp",
        "https://example.com/mcp",
        "http://localtest.me/mcp",  # resolves to 127.0.0.1, but names are not trusted
        "http://0.0.0.0:8080/mcp",
    ],
)
def test_remote_urls_need_allow_remote(target: str) -> None:
    with pytest.raises(UsageError, match=r"not a loopback address.*--allow-remote"):
        lt.check_url(target, allow_remote=False)
    assert lt.check_url(target, allow_remote=True) == target


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("ftp://127.0.0.1/mcp", "must be http"),
        ("http://user:pw@127.0.0.1/mcp", "must not carry credentials"),
        ("http://127.0.0.1:99999/mcp", "bad port"),
    ],
)
def test_bad_urls(target: str, problem: str) -> None:
    with pytest.raises(UsageError, match=problem):
        lt.check_url(target, allow_remote=True)


def test_url_without_path_gets_mcp() -> None:
    assert lt.check_url("http://127.0.0.1:8080", allow_remote=False) == "http://127.0.0.1:8080/mcp"


def test_a_workspace_that_cannot_serve(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "tools" / "broken.py").write_text("def oops(:\n", encoding="utf-8")
    with pytest.raises(LoadTestError, match="the server exited with code 1 before it was ready") as caught:
        lt.loadtest(str(ws), LoadOptions(tool="add", arguments={}, requests=1))
    assert caught.value.log == ws / ".mcpgen" / "loadtest" / "server.log"


def test_a_folder_that_is_not_there(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="neither a workspace folder nor an http"):
        lt.loadtest(str(tmp_path / "missing"), LoadOptions(tool="add", arguments={}))


# ------------------------------------------------------------------------------------------ bounds


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("concurrency", 0, "--concurrency must be between 1 and 512"),
        ("concurrency", lt.MAX_CONCURRENCY + 1, "--concurrency must be between 1 and 512"),
        ("duration", 0, "--duration must be between 0.1 and 600 s"),
        ("duration", lt.MAX_DURATION + 1, "--duration must be between"),
        ("duration", float("nan"), "--duration must be between"),
        ("requests", 0, "--requests must be between 1 and 1000000"),
        ("requests", lt.MAX_REQUESTS + 1, "--requests must be between"),
        ("timeout", 61, "--timeout must be between 0.1 and 60 s"),
        ("wire", "2024-11-05", "--wire must be one of 2025-11-25, 2026-07-28"),
        ("tool", "", "--tool must name a tool"),
    ],
)
def test_bounds_are_usage_errors(field: str, value: object, message: str) -> None:
    options = LoadOptions(**{"tool": "add", "arguments": {}, field: value})  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=message):
        options.check()


def test_bounds_are_checked_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--concurrency"):
        lt.loadtest(str(tmp_path), LoadOptions(tool="add", arguments={}, concurrency=10_000))
    assert not (tmp_path / ".mcpgen").exists()  # nothing was served


def test_parse_arguments(tmp_path: Path) -> None:
    assert lt.parse_arguments('{"a": 1}') == {"a": 1}
    args = tmp_path / "args.json"
    args.write_text('{"text": "hi"}', encoding="utf-8")
    assert lt.parse_arguments(f"@{args}") == {"text": "hi"}
    with pytest.raises(UsageError, match="--args is not JSON"):
        lt.parse_arguments("{a: 1}")
    with pytest.raises(UsageError, match="must be a JSON object"):
        lt.parse_arguments("[1]")
    with pytest.raises(UsageError, match="cannot read"):
        lt.parse_arguments(f"@{tmp_path / 'missing.json'}")


def test_parse_headers() -> None:
    assert lt.parse_headers(["Authorization: Bearer a:b", "X-Id:7"]) == {
        "Authorization": "Bearer a:b",
        "X-Id": "7",
    }
    with pytest.raises(UsageError, match="--header must look like"):
        lt.parse_headers(["no colon"])
