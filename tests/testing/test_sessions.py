"""Record/replay: a real SDK client session recorded through the tap, replayed against a fresh server."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from typer.testing import CliRunner

from mcpgen.cli.app import app
from mcpgen.common.masking import mask
from mcpgen.testing import client_for
from mcpgen.workflows.init import init_workspace
from mcpgen.workflows.local import serve_in_process
from mcpgen.workflows.sessions import (
    SessionError,
    SessionWriter,
    answer_of,
    read_session,
    replay,
    start_recording,
    unmasked_as_recorded,
    without,
)

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

SECRET = "sk-live-0123456789abcdef"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_workspace(root: Path) -> Path:
    init_workspace(root)
    (root / "tools" / "keys.py").write_text(
        "from mcpgen import Credential, tool\n\n"
        "@tool(credentials=[Credential('DEMO_API_KEY', kind='api_key', required=False)])\n"
        "def check_key(api_key: str) -> str:\n"
        '    """Show the configured key (a tool that leaks it: the recording must not)."""\n'
        "    import os\n"
        "    return f'checked; configured: {os.environ.get(\"DEMO_API_KEY\")}'\n"
    )
    return root


async def session_with_sdk_client(mcp_url: str) -> None:
    """What a user does in a client: list, call (ok and failing) on both wires, and send a secret."""
    for wire in ("2025-11-25", "2026-07-28"):
        async with client_for(mcp_url, wire) as client:
            await client.list_tools()
            await client.call_tool("greet", {"name": "Ada"})
            await client.call_tool("greet", {"name": " "})
    async with client_for(mcp_url, "2026-07-28") as client:
        await client.call_tool("check_key", {"api_key": SECRET})


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("DEMO_API_KEY", SECRET)
    root = make_workspace(tmp_path / "ws")
    out = tmp_path / "session.mcp.jsonl"
    recording = start_recording(root, out)
    try:
        anyio.run(session_with_sdk_client, recording.mcp_url)
    finally:
        count = recording.stop()
    assert count >= 9
    return root, out


def test_a_recorded_session_replays_clean_and_masks_secrets(recorded: tuple[Path, Path]) -> None:
    root, out = recorded
    text = out.read_text()
    assert SECRET not in text, "the credential value must be masked in the recording"
    session = read_session(out)
    methods = [e.method for e in session.exchanges]
    assert methods[:3] == ["initialize", "notifications/initialized", "tools/list"]
    assert methods.count("tools/call") == 5
    key_call = next(e for e in session.exchanges if e.label.endswith("check_key"))
    assert key_call.request["params"]["arguments"]["api_key"] == "sk…ef"  # a secret-looking key, masked
    assert key_call.response["result"]["content"][0]["text"] == "checked; configured: sk…ef"
    assert key_call.headers["mcp-protocol-version"] == "2026-07-28"
    report = replay(out, root)
    assert report.ok, report.describe()
    assert report.exchanges == len(session.exchanges)
    running = serve_in_process(root)  # --url: a server that is already up (a container, staging)
    try:
        against = CliRunner().invoke(app, ["replay", str(out), "--url", running.mcp_url, "--json"])
    finally:
        running.stop()
    assert against.exit_code == 0, against.output
    assert json.loads(against.stdout)["exchanges"] == len(session.exchanges)
    assert CliRunner().invoke(app, ["replay", str(out), "--url", "ftp://x"]).exit_code == 2


def test_replay_after_a_tool_change_names_the_request_and_shows_the_diff(recorded: tuple[Path, Path]) -> None:
    root, out = recorded
    greet = root / "tools" / "greet.py"
    greet.write_text(greet.read_text().replace('return f"Hello,', 'return f"Howdy,'))
    result = CliRunner().invoke(app, ["replay", str(out), str(root)])
    assert result.exit_code == 1, result.output
    assert "#4 tools/call greet (line 5)" in result.output  # the 2025 wire's call, after the handshake
    assert '-          "text": "Hello, Ada.",' in result.output
    assert '+          "text": "Howdy, Ada.",' in result.output
    session = read_session(out)
    ada = [
        e
        for e in session.exchanges
        if e.method == "tools/call" and e.request["params"]["arguments"] == {"name": "Ada"}
    ]
    assert len(ada) == 2  # one per wire
    assert f"2 of {len(session.exchanges)} answer(s) differ" in result.output
    as_json = CliRunner().invoke(app, ["replay", str(out), str(root), "--json"])
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    assert [(m["request"], m["line"]) for m in data["mismatches"]] == [(e.label, e.line) for e in ada]
    ignored = CliRunner().invoke(app, ["replay", str(out), str(root), "--ignore", "/result/content/*/text"])
    assert ignored.exit_code == 0, ignored.output


def test_record_command_records_an_sdk_client_until_sigterm(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    out = tmp_path / "cli.mcp.jsonl"
    err = tmp_path / "record.err"
    with err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mcpgen", "record", str(root), "--out", str(out), "--port", "0", "--json"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        deadline = time.monotonic() + 60
        while not (url := re.search(r"http://127\.0\.0\.1:\d+/mcp", err.read_text())):
            assert proc.poll() is None, err.read_text()
            assert time.monotonic() < deadline, err.read_text()
            time.sleep(0.1)  # waiting for another process: nothing to await on
        anyio.run(session_with_sdk_client, url.group(0))
    finally:
        proc.send_signal(signal.SIGTERM)
        stdout, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.read_text()
    summary = json.loads(stdout)
    assert summary["out"] == str(out)
    assert summary["exchanges"] == len(read_session(out).exchanges) >= 9
    assert "#4 tools/call greet → 200" in err.read_text()  # progress: one line per exchange


async def stdio_session(params: StdioServerParameters, wire: str) -> None:
    with anyio.fail_after(120):
        async with Client(params, mode="legacy" if wire == "2025-11-25" else wire) as client:  # type: ignore[arg-type]
            await client.call_tool("greet", {"name": "Ada"})
            await client.call_tool("check_key", {"api_key": SECRET})


@pytest.mark.parametrize("wire", ["2025-11-25", "2026-07-28"])
def test_a_stdio_session_is_recorded_through_the_command_and_replays_over_http(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wire: str
) -> None:
    """The client starts `mcpgen record --transport stdio` as its server; the file replays over HTTP."""
    monkeypatch.setenv("DEMO_API_KEY", SECRET)
    root = make_workspace(tmp_path / "ws")
    out = tmp_path / "stdio.mcp.jsonl"
    args = ["-m", "mcpgen", "record", str(root), "--transport", "stdio", "--out", str(out)]
    anyio.run(
        stdio_session, StdioServerParameters(command=sys.executable, args=args, env=dict(os.environ)), wire
    )
    assert SECRET not in out.read_text()
    session = read_session(out)
    greet = next(e for e in session.exchanges if e.label.endswith("tools/call greet"))
    assert greet.headers["mcp-protocol-version"] == wire
    if wire == "2025-11-25":
        assert [e.method for e in session.exchanges[:2]] == ["initialize", "notifications/initialized"]
    else:
        assert greet.headers["mcp-name"] == "greet"
    report = replay(out, root)
    assert report.ok, report.describe()
    assert report.exchanges == len(session.exchanges) >= 3


def test_ignore_patterns_and_sse_answers() -> None:
    value = {"result": {"content": [{"text": "a", "at": 1}, {"text": "b", "at": 2}], "meta": {"at": 3}}}
    assert without(value, ["/result/content/*/at"]) == {
        "result": {"content": [{"text": "a"}, {"text": "b"}], "meta": {"at": 3}}
    }
    assert without(value, ["/**/at"]) == {"result": {"content": [{"text": "a"}, {"text": "b"}], "meta": {}}}
    assert without(value, ["/result/content/1"])["result"]["content"] == [{"text": "a", "at": 1}, None]
    body = (
        b'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{}}\n\n'
        b'event: message\ndata: {"jsonrpc":"2.0","id":7,"result":{"ok":true}}\n\n'
    )
    response, notes = answer_of({"id": 7}, "text/event-stream", body)
    assert response == {"jsonrpc": "2.0", "id": 7, "result": {"ok": True}}
    assert [n["method"] for n in notes] == ["notifications/message"]


def test_masking_headers_and_known_values() -> None:
    out = io.StringIO()
    writer = SessionWriter(out, secrets=["hunter2-hunter2"])
    writer.add(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"arguments": {"q": "x hunter2-hunter2"}},
        },
        [("Authorization", "Bearer abcdefghijkl"), ("X-Api-Key", "k"), ("User-Agent", "ua")],
        200,
        "application/json",
        b'{"jsonrpc":"2.0","id":1,"result":{"token":"t0k3n-value-long"}}',
    )
    record = json.loads(out.getvalue().splitlines()[1])
    assert record["headers"] == {"authorization": "Bearer ab…kl", "x-api-key": "********"}
    assert record["request"]["params"]["arguments"]["q"] == "x hu…r2"
    assert record["response"]["result"]["token"] == "t0…ng"
    # replaying: the real secret where the recording has its mask is a match (and stays out of diffs)
    assert unmasked_as_recorded({"t": f"key {mask(SECRET)}!"}, {"t": f"key {SECRET}!"}) == {"t": "key sk…ef!"}
    assert unmasked_as_recorded(["********"], ["abc", "new"]) == ["********", "new"]
    assert unmasked_as_recorded({"t": "key sk…ef"}, {"t": "key other"}) == {"t": "key other"}


def test_a_bad_session_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"type": "header", "format": "mcpgen-session", "version": 1}\n{"type": "exchange"}\n')
    with pytest.raises(SessionError, match=r"bad.jsonl:2: exchange without request, status"):
        read_session(path)
    path.write_text("{not json\n")
    with pytest.raises(SessionError, match=r"bad.jsonl:1: not JSON"):
        read_session(path)
    result = CliRunner().invoke(app, ["replay", str(path), str(tmp_path), "--ignore", "result"])
    assert result.exit_code == 1
    assert "bad.jsonl:1: not JSON" in result.output
