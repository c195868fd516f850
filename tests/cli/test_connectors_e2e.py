"""Connectors end to end: a real server process, a real HTTP stand-in on 127.0.0.1, the official SDK client.

The fixture workspace ``tests/fixtures/workspaces/connectors`` has an HTTP
connector (``echo``, token auth, pointed at the stand-in by ``ECHO_URL`` in
its config), a seed-format connector (``legacy``) and one whose ``connect``
hangs (``sleepy``). The stand-in's behaviour is switched per test (down, 429,
401, slow) through a plain dict, like a service having a bad day.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
import uvicorn
from cli_support import FIXTURES, Cli, start_cli, start_cli_expect_exit
from mcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server_support import free_port

pytestmark = [pytest.mark.anyio, pytest.mark.integration]
TOKEN = "sentinel-echo-token-6f1d2c"
LEGACY_KEY = "sentinel-legacy-key-93ab"
REFRESH = "sentinel-refresh-token-51c0"
CLIENT_SECRET = "sentinel-client-secret-77de"


@dataclass
class StandIn:
    """The echo service: records requests; ``mode`` picks its behaviour."""

    port: int
    mode: dict[str, Any] = field(default_factory=lambda: {"name": "ok", "expires_in": 3600})
    seen: list[tuple[float, str, str | None]] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def app(self) -> Starlette:
        async def token(request: Request) -> Response:
            form = await request.form()
            good = form.get("refresh_token") == REFRESH and form.get("client_secret") == CLIENT_SECRET
            if form.get("grant_type") != "refresh_token" or not good or self.mode.get("revoked"):
                return JSONResponse({"error": "invalid_grant", "error_description": "Bad refresh token"}, 400)
            self.issued.append(f"access-{len(self.issued) + 1}")
            return JSONResponse({"access_token": self.issued[-1], "expires_in": self.mode["expires_in"]})

        async def crm(request: Request) -> Response:
            self.seen.append((time.monotonic(), request.url.path, request.headers.get("authorization")))
            if not self.issued or request.headers.get("authorization") != f"Bearer {self.issued[-1]}":
                return JSONResponse({"error": "invalid_token"}, status_code=401)
            return JSONResponse({"user": "bot", "token": self.issued[-1]})

        async def handle(request: Request) -> Response:
            self.seen.append((time.monotonic(), request.url.path, request.headers.get("authorization")))
            mode = self.mode["name"]
            if request.headers.get("authorization") != f"Bearer {TOKEN}" or mode == "401":
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            left = self.mode.get("times", 1_000_000)
            if mode == "429" and request.url.path.endswith("/ping") and left > 0:
                self.mode["times"] = left - 1
                return JSONResponse({"error": "slow down"}, status_code=429, headers={"Retry-After": "1"})
            if mode == "slow" and request.url.path.endswith("/ping"):
                await anyio.sleep(5)
            if request.url.path.endswith("/health"):
                return JSONResponse({"ok": True})
            return JSONResponse({"echo": request.query_params.get("text")})

        return Starlette(
            routes=[
                Route("/api/oauth/token", token, methods=["POST"]),
                Route("/api/crm/me", crm),
                Route("/api/{path:path}", handle),
            ]
        )

    def start(self) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "stand-in did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)
            self.server = self.thread = None


@pytest.fixture
def standin() -> Iterator[StandIn]:
    service = StandIn(free_port())
    service.start()
    yield service
    service.stop()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(FIXTURES / "connectors", root)
    return root


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, standin: StandIn) -> None:
    monkeypatch.setenv("ECHO_TOKEN", TOKEN)
    monkeypatch.setenv("LEGACY_API_KEY", LEGACY_KEY)
    monkeypatch.setenv("ECHO_URL", standin.url)
    monkeypatch.setenv("CRM_CLIENT_ID", "client-1")
    monkeypatch.setenv("CRM_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("CRM_REFRESH_TOKEN", REFRESH)


@pytest.fixture
def server(tmp_path: Path, workspace: Path, env: None) -> Iterator[Cli]:
    cli = start_cli(tmp_path, "serve", str(workspace))
    yield cli
    cli.stop()
    log = cli.log()
    assert TOKEN not in log, "a credential value reached the log"
    for secret in (LEGACY_KEY, REFRESH, CLIENT_SECRET):
        assert secret not in log, "a credential value reached the log"


def health(cli: Cli) -> dict[str, Any]:
    data: dict[str, Any] = httpx2.get(f"http://127.0.0.1:{cli.port}/health", timeout=5).json()
    return data


def wait_state(cli: Cli, name: str, state: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = health(cli)["connectors"][name]
        if found["state"] == state:
            return found
        assert time.monotonic() < deadline, f"{name} never became {state}: {found}"
        time.sleep(0.1)  # polling a subprocess over HTTP


async def call(cli: Cli, tool: str, arguments: dict[str, Any]) -> tuple[bool, str]:
    async with Client(cli.mcp_url) as client:
        result = await client.call_tool(tool, arguments)
    text = " ".join(getattr(c, "text", "") for c in result.content)
    return bool(result.is_error), text


def test_health_lists_each_connector_with_its_state(server: Cli) -> None:
    wait_state(server, "echo", "connected")
    data = health(server)
    connectors = data["connectors"]
    assert connectors["echo"]["circuit"] == "closed"
    assert connectors["echo"]["required"] is False
    assert connectors["legacy"]["state"] == "connected"
    sleepy = connectors["sleepy"]
    assert sleepy["state"] == "degraded"
    assert "longer than 0.5s" in sleepy["lastError"]
    assert data["status"] == "degraded"  # an optional connector is down; the server still serves
    assert httpx2.get(f"http://127.0.0.1:{server.port}/health/ready", timeout=5).status_code == 200


async def test_tools_get_connectors_by_annotation_and_by_name(server: Cli, standin: StandIn) -> None:
    assert await call(server, "echo_ping", {"text": "hi"}) == (False, '{"echo":"hi"}')
    assert standin.seen[-1][2] == f"Bearer {TOKEN}"  # the pooled client authenticated the request
    error, text = await call(server, "legacy_greet", {"name": "Ada"})
    assert (error, text) == (False, f"hello Ada ({len(LEGACY_KEY)}-character key)")
    async with Client(server.mcp_url) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert "echo" not in tools["echo_ping"].input_schema["properties"]  # injected, not an argument


async def test_oauth2_access_tokens_are_refreshed_and_a_revoked_grant_is_an_error(
    server: Cli, standin: StandIn
) -> None:
    wait_state(server, "crm", "connected")
    assert await call(server, "crm_me", {}) == (False, '{"user":"bot","token":"access-1"}')
    standin.issued.append("access-rotated")  # the service invalidated our token: 401, refresh once, retry
    error, text = await call(server, "crm_me", {})
    assert (error, text) == (False, '{"user":"bot","token":"access-3"}')
    standin.mode["revoked"] = True
    standin.issued.append("access-revoked")
    error, text = await call(server, "crm_me", {})
    assert error
    assert "refused the refresh token (HTTP 400: Bad refresh token)" in text
    assert REFRESH not in text


async def test_a_429_waits_for_retry_after_then_succeeds(server: Cli, standin: StandIn) -> None:
    standin.mode.update(name="429", times=1)
    started = len(standin.seen)
    assert await call(server, "echo_ping", {"text": "again"}) == (False, '{"echo":"again"}')
    pings = [t for t, path, _ in standin.seen[started:] if path.endswith("/ping")]
    assert len(pings) == 2
    assert pings[1] - pings[0] >= 0.9  # Retry-After: 1 was honoured


async def test_a_429_storm_ends_in_a_clear_rate_limit_error(server: Cli, standin: StandIn) -> None:
    standin.mode.update(name="429")
    error, text = await call(server, "echo_ping", {"text": "x"})
    assert error
    assert "rate limiting" in text
    assert "429" in text
    assert "wait 1s" in text


async def test_rejected_credentials_are_a_clear_tool_error(server: Cli, standin: StandIn) -> None:
    standin.mode.update(name="401")
    error, text = await call(server, "echo_ping", {"text": "x"})
    assert error
    assert "rejected the credentials (HTTP 401" in text
    assert TOKEN not in text


async def test_a_slow_service_times_out_with_a_clear_error(server: Cli, standin: StandIn) -> None:
    standin.mode.update(name="slow")
    error, text = await call(server, "echo_ping", {"text": "x"})
    assert error
    assert "no answer in time" in text
    standin.mode.update(name="ok")
    assert await call(server, "echo_ping", {"text": "fast"}) == (False, '{"echo":"fast"}')


async def test_service_dying_mid_run_degrades_then_recovers(server: Cli, standin: StandIn) -> None:
    wait_state(server, "echo", "connected")
    standin.stop()
    found = wait_state(server, "echo", "degraded")
    assert "cannot connect" in found["lastError"]
    error, text = await call(server, "echo_ping", {"text": "x"})
    assert error
    assert "connector 'echo' is degraded" in text
    assert await call(server, "plain", {"x": 21}) == (False, "42")  # the rest keeps working
    standin.start()  # the same port: the service comes back
    wait_state(server, "echo", "connected", timeout=30)
    assert await call(server, "echo_ping", {"text": "back"}) == (False, '{"echo":"back"}')


def test_a_missing_credential_puts_an_optional_connector_in_error(
    tmp_path: Path, workspace: Path, env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEGACY_API_KEY")
    cli = start_cli(tmp_path, "serve", str(workspace))
    try:
        found = wait_state(cli, "legacy", "error")
        assert found["lastError"].startswith("credential(s) not set: LEGACY_API_KEY")
        assert wait_state(cli, "echo", "connected")["state"] == "connected"
    finally:
        cli.stop()


def test_a_required_connector_that_cannot_connect_stops_start_up(
    tmp_path: Path, workspace: Path, env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECHO_URL", f"http://127.0.0.1:{free_port()}/api")  # nothing listens there
    output = start_cli_expect_exit(tmp_path, "serve", str(workspace), "--set", "services.echo.required=true")
    assert output.count("required connector(s) could not connect") == 1, output  # one clear message
    assert "Traceback" not in output
    assert "echo (connectors/echo.py)" in output
    assert "cannot connect" in output
    assert TOKEN not in output


def test_validation_names_a_tool_using_an_unknown_connector(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "tools").mkdir(parents=True)
    (root / "connectors").mkdir()
    (root / "connectors" / "crm.py").write_text(
        "from mcpgen import connector\n\n@connector(name='crm')\nclass Crm:\n    pass\n"
    )
    (root / "tools" / "_ghost.py").write_text(  # a helper module: never discovered as a connector
        "from mcpgen import connector\n\n@connector(name='ghost')\nclass Ghost:\n    pass\n"
    )
    (root / "tools" / "t.py").write_text(
        "from _ghost import Ghost\nfrom mcpgen import connector, tool\n\n"
        "@connector(name='misplaced')\nclass Misplaced:\n    pass\n\n"
        "@tool\ndef use(g: Ghost) -> str:\n    'Use it.'\n    return ''\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "mcpgen", "validate", str(root)], capture_output=True, text=True, timeout=120
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "tool 'use' uses connector 'ghost', which no module in connectors/ defines; known: crm" in output
    assert "connector 'misplaced' is defined outside connectors/" in output
