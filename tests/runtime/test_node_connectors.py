"""TS/JS connectors in the Node workers, against a real HTTP stand-in on 127.0.0.1, through the SDK client.

The stand-in answers the few Notion endpoints the fixture connector uses and
checks the bearer token; "down" means its server is stopped (connections
refused), "back" means a new server on the same port.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
import uvicorn
from mcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mcpgen.authoring import ConnectorSettings
from mcpgen.authoring.connectors import seed_config
from mcpgen.config.models import RetryConfig, ServiceConfig
from mcpgen.manifest import Manifest
from mcpgen.runtime import Registry, Settings, create_app, runtime_state
from mcpgen.workflows.generate import generate
from server_support import free_port

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("runtime-node-connectors")]  # one manifest
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "workspaces" / "node_connectors"
TOKEN = "secret-token-123"


# the stand-in -----------------------------------------------------------------


def _authorized(request: Request) -> bool:
    return request.headers.get("authorization") == f"Bearer {TOKEN}"


async def _me(request: Request) -> JSONResponse:
    if not _authorized(request):
        return JSONResponse({"object": "error", "status": 401}, status_code=401)
    return JSONResponse({"object": "user", "id": "bot"})


async def _query(request: Request) -> JSONResponse:
    if not _authorized(request):
        return JSONResponse({"object": "error", "status": 401}, status_code=401)
    db = request.path_params["db"]
    return JSONResponse({"object": "list", "results": [{"id": f"{db}-row-1"}]})


async def _page(request: Request) -> JSONResponse:
    if not _authorized(request):
        return JSONResponse({"object": "error", "status": 401}, status_code=401)
    return JSONResponse({"object": "page", "id": request.path_params["id"]})


STAND_IN = Starlette(
    routes=[
        Route("/v1/users/me", _me),
        Route("/v1/databases/{db}/query", _query, methods=["POST"]),
        Route("/v1/pages/{id}", _page),
    ]
)


class StandIn:
    """The stand-in served by uvicorn in a thread; ``stop()``/``start()`` take it down and back."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(
            STAND_IN, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        server = self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=server.run, name="stand-in", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:  # a thread, not a task: nothing to await on
            assert self._thread.is_alive(), "the stand-in did not start"
            assert time.monotonic() < deadline, "the stand-in did not start within 10s"
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
            assert not self._thread.is_alive()
        self._server = self._thread = None


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    s = StandIn()
    s.start()
    try:
        yield s
    finally:
        s.stop()


# the server -------------------------------------------------------------------


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tsconn") / "ws"
    shutil.copytree(FIXTURE, root)
    return root


@pytest.fixture(scope="module")
def manifest(workspace: Path) -> Manifest:
    gen = generate(workspace)
    assert gen.report.ok, str(gen.report)
    assert gen.manifest is not None
    return gen.manifest


def _settings(workspace: Path, endpoint: str) -> Settings:
    fast = RetryConfig(max_retries=1, initial=0.05, max=0.2)
    return Settings.of(
        workspace,
        node_workers=2,
        default_timeout=10,
        services={
            "notion": ServiceConfig(
                endpoint=endpoint, timeout=2, health_interval=0.2, retry=fast, extras={"workspace": "acme"}
            ),
            "broken": ServiceConfig(health_interval=0.2, retry=fast),
        },
    )


@asynccontextmanager
async def serving(settings: Settings, manifest: Manifest) -> AsyncIterator[tuple[httpx2.AsyncClient, Client]]:
    app = create_app(manifest, settings)
    http_app.set(app)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with (
            httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http,
            Client(app.state.mcp_server, mode="legacy") as client,
        ):
            yield http, client


@pytest.fixture
async def server(
    workspace: Path, manifest: Manifest, stand_in: StandIn, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx2.AsyncClient, Client]]:
    monkeypatch.setenv("NOTION_TOKEN", TOKEN)
    async with serving(_settings(workspace, stand_in.url), manifest) as running:
        yield running


class _Current:
    """The app of the running ``serving`` block (for tests that reach into its runtime state)."""

    app: Any = None

    def set(self, app: Any) -> None:
        self.app = app


http_app = _Current()


def text_of(result: Any) -> str:
    return "".join(block.text for block in result.content)


async def health(http: httpx2.AsyncClient) -> dict[str, Any]:
    body: dict[str, Any] = (await http.get("/health")).json()
    return body


DEADLINE = 15.0


async def until(check: Callable[[], Any], what: str) -> Any:
    """Poll the async ``check`` until it returns something truthy (fails after ``DEADLINE`` seconds)."""
    try:
        with anyio.fail_after(DEADLINE):
            while True:
                found = await check()
                if found:
                    return found
                await anyio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out after {DEADLINE:g}s waiting for {what}") from None


# tests ------------------------------------------------------------------------


async def test_connected_state_in_health_and_tools_use_the_connector(
    server: tuple[httpx2.AsyncClient, Client],
) -> None:
    http, client = server
    body = await health(http)
    assert body["status"] == "degraded"  # the optional 'broken' connector is down; notion is fine
    notion = body["connectors"]["notion"]
    assert notion["state"] == "connected"
    assert notion["required"] is True
    assert notion["kind"] == "http"
    assert (await http.get("/health/ready")).status_code == 200

    result = await client.call_tool("notion_query", {"database": "db1"})
    assert result.is_error is False, text_of(result)
    assert json.loads(text_of(result))["results"] == [{"id": "db1-row-1"}]
    page = await client.call_tool("notion_page", {"id": "p-7"})
    assert json.loads(text_of(page)) == {"object": "page", "id": "p-7"}


async def test_config_keys_follow_the_credential_role_rule_in_every_worker(
    server: tuple[httpx2.AsyncClient, Client],
) -> None:
    http, client = server
    seen: dict[int, dict[str, Any]] = {}

    async def call() -> None:
        value = json.loads(text_of(await client.call_tool("notion_config", {})))
        seen[value.pop("pid")] = value

    async with anyio.create_task_group() as group:  # concurrent calls use both workers
        for _ in range(8):
            group.start_soon(call)
    assert len(seen) == 2
    for value in seen.values():
        assert value["keys"] == ["NOTION_TOKEN", "endpoint", "timeout", "token", "workspace"]
        assert value["sameToken"] is True
        assert value["workspace"] == "acme"
        assert value["timeout"] == 2
        assert value["visible"] == ["notion"]  # only connected TS/JS connectors
    assert TOKEN not in json.dumps(await health(http))


def test_seed_config_maps_roles_to_camel_case() -> None:
    settings = ConnectorSettings(
        name="gmail",
        endpoint="https://gmail.googleapis.com",
        timeout=5.0,
        extras={"userId": "me"},
        credentials={"GMAIL_CLIENT_ID": "id", "GMAIL_REFRESH_TOKEN": "rt", "API_KEY": "k"},
    )
    config = seed_config(settings)
    assert config["clientId"] == config["GMAIL_CLIENT_ID"] == "id"
    assert config["refreshToken"] == "rt"
    assert config["apiKey"] == "k"  # no connector prefix: the whole name is the role
    assert config["userId"] == "me"
    assert (config["endpoint"], config["timeout"]) == ("https://gmail.googleapis.com", 5.0)


async def test_service_down_degrades_with_a_clear_tool_error_then_recovers(
    server: tuple[httpx2.AsyncClient, Client], stand_in: StandIn
) -> None:
    http, client = server
    assert (await client.call_tool("notion_query", {"database": "db1"})).is_error is False

    stand_in.stop()

    async def degraded() -> dict[str, Any] | None:
        notion = (await health(http))["connectors"]["notion"]
        return notion if notion["state"] == "degraded" else None

    notion = await until(degraded, "notion to be degraded")
    assert "testConnection() failed" in notion["lastError"]
    assert (await http.get("/health/ready")).status_code == 503  # a required connector is down
    assert (await health(http))["status"] == "unavailable"

    declared = await client.call_tool("notion_query", {"database": "db1"})  # rejected before dispatch
    assert declared.is_error is True
    assert text_of(declared).startswith("Tool 'notion_query' cannot run: connector 'notion' is degraded")
    looked_up = await client.call_tool("notion_page", {"id": "p-1"})  # ctx.connector("notion") throws
    assert looked_up.is_error is True
    assert text_of(looked_up).startswith("connector 'notion' is degraded")

    stand_in.start()

    async def connected() -> bool:
        return bool((await health(http))["connectors"]["notion"]["state"] == "connected")

    await until(connected, "notion to reconnect")
    assert (await http.get("/health/ready")).status_code == 200
    result = await client.call_tool("notion_query", {"database": "db2"})
    assert result.is_error is False, text_of(result)
    assert json.loads(text_of(result))["results"] == [{"id": "db2-row-1"}]


async def test_initialize_throwing_is_a_clear_health_error_and_tool_error(
    server: tuple[httpx2.AsyncClient, Client],
) -> None:
    http, client = server
    broken = (await health(http))["connectors"]["broken"]
    assert broken["state"] == "degraded"
    assert broken["required"] is False
    assert broken["lastError"].startswith('initialize() failed: workspace "zzz" does not exist')
    declared = await client.call_tool("broken_lookup", {})
    assert declared.is_error is True
    assert "connector 'broken' is degraded: initialize() failed" in text_of(declared)
    by_name = await client.call_tool("use_connector", {"name": "broken"})
    assert by_name.is_error is True
    assert "connector 'broken' is degraded: initialize() failed" in text_of(by_name)
    unknown = await client.call_tool("use_connector", {"name": "nope"})
    assert unknown.is_error is True
    assert text_of(unknown) == "no connector named 'nope' (connectors: broken, notion)"


async def test_a_restarted_worker_initializes_the_connector_lazily(
    server: tuple[httpx2.AsyncClient, Client],
) -> None:
    http, client = server
    crashed = await client.call_tool("crash_worker", {})
    assert crashed.is_error is True
    for _ in range(6):  # calls land on the restarted worker too
        result = await client.call_tool("notion_query", {"database": "after"})
        assert result.is_error is False, text_of(result)
    assert (await health(http))["connectors"]["notion"]["state"] == "connected"


async def test_missing_required_credential_fails_start_naming_it(
    workspace: Path, manifest: Manifest, stand_in: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOTION_TOKEN", raising=False)
    with pytest.raises(
        Exception, match=r"notion \(connectors/notion.ts\): credential\(s\) not set: NOTION_TOKEN"
    ):
        async with serving(_settings(workspace, stand_in.url), manifest):
            pass


async def test_a_reload_moves_the_connectors_to_the_new_node_pool(
    server: tuple[httpx2.AsyncClient, Client], workspace: Path, manifest: Manifest, stand_in: StandIn
) -> None:
    _, client = server
    state = runtime_state(http_app.app)
    old_hub = state.connectors
    state.swap(Registry.load(manifest, _settings(workspace, stand_in.url), purge=True))

    async def reconnected() -> bool:
        slot = state.connectors.slots["notion"]
        return state.connectors is not old_hub and slot.state == "connected"

    await until(reconnected, "notion to connect in the new registry's Node pool")
    result = await client.call_tool("notion_query", {"database": "reloaded"})
    assert result.is_error is False, text_of(result)
    assert json.loads(text_of(result))["results"] == [{"id": "reloaded-row-1"}]
