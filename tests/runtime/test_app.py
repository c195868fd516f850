"""create_app in process (ASGI transport, lifespan entered by hand): routes, limits, Host/Origin rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import orjson
import pytest
from starlette.applications import Starlette

from mcpgen.runtime import Registry, Settings, create_app, runtime_state
from mcpgen.runtime.transport.security import transport_security

from .conftest import fixture_files, make_manifest

pytestmark = pytest.mark.anyio

HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


@asynccontextmanager
async def running(app: Starlette, host: str = "127.0.0.1:8080") -> AsyncIterator[httpx2.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
            yield client


def rpc(method: str, params: dict[str, Any] | None = None, id: int = 1) -> bytes:
    return orjson.dumps({"jsonrpc": "2.0", "id": id, "method": method, "params": params or {}})


@pytest.fixture
def app(tmp_path: Path) -> Starlette:
    manifest, settings = make_manifest(tmp_path, fixture_files(), json_response=True, max_request_size=2048)
    return create_app(manifest, settings)


async def test_health_routes(app: Starlette) -> None:
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as before:
        assert (await before.get("/health/ready")).status_code == 503  # lifespan not entered yet
    async with running(app) as client:
        health = (await client.get("/health")).json()
        assert health["status"] == "ok"
        assert health["server"] == {"name": "runtime-test", "version": "1.2.3"}
        assert health["tools"] == len(runtime_state(app).registry.tools)
        assert isinstance(health["version"], str)
        assert health["uptime_seconds"] >= 0
        assert (await client.get("/health/live")).json() == {"status": "ok"}
        assert (await client.get("/health/ready")).status_code == 200
        runtime_state(app).begin_shutdown()
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json() == {"status": "shutting_down"}


async def test_tools_call_over_http_json(app: Starlette) -> None:
    async with running(app) as client:
        response = await client.post(
            "/mcp", content=rpc("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}}), headers=HEADERS
        )
        assert response.status_code == 200
        assert response.json()["result"]["content"] == [{"type": "text", "text": "3"}]


async def test_stateless_get_and_delete_are_405(app: Starlette) -> None:
    async with running(app) as client:
        for method in ("GET", "DELETE"):
            response = await client.request(method, "/mcp", headers={"accept": "text/event-stream"})
            assert response.status_code == 405
            assert response.headers["allow"] == "POST"


async def test_oversized_body_is_413(app: Starlette) -> None:
    async with running(app) as client:
        big = rpc("tools/call", {"name": "shout", "arguments": {"text": "x" * 5000}})
        assert (await client.post("/mcp", content=big, headers=HEADERS)).status_code == 413
        ok = await client.post("/mcp", content=rpc("tools/list"), headers=HEADERS)
        assert ok.status_code == 200


async def test_bad_origin_and_host_on_loopback(app: Starlette) -> None:
    async with running(app) as client:
        evil = await client.post(
            "/mcp", content=rpc("tools/list"), headers={**HEADERS, "origin": "http://evil.example"}
        )
        assert evil.status_code == 403
        local = await client.post(
            "/mcp", content=rpc("tools/list"), headers={**HEADERS, "origin": "http://localhost:3000"}
        )
        assert local.status_code == 200
    async with running(app, host="evil.example") as client:
        assert (await client.post("/mcp", content=rpc("tools/list"), headers=HEADERS)).status_code == 421


async def test_origin_only_allow_list_on_a_public_bind(tmp_path: Path) -> None:
    manifest, settings = make_manifest(
        tmp_path,
        fixture_files(),
        host="0.0.0.0",
        json_response=True,
        allowed_origins=("https://app.example",),
    )
    async with running(create_app(manifest, settings), host="mcp.internal:8080") as client:
        ok = await client.post(
            "/mcp", content=rpc("tools/list"), headers={**HEADERS, "origin": "https://app.example"}
        )
        assert ok.status_code == 200
        bad = await client.post(
            "/mcp", content=rpc("tools/list"), headers={**HEADERS, "origin": "https://x.example"}
        )
        assert bad.status_code == 403
        no_origin = await client.post("/mcp", content=rpc("tools/list"), headers=HEADERS)
        assert no_origin.status_code == 200


async def test_public_bind_without_config_refuses_cross_site_origins(tmp_path: Path) -> None:
    """The container default: any Host works, a same-origin browser works, another site gets 403."""
    manifest, settings = make_manifest(tmp_path, fixture_files(), host="0.0.0.0", json_response=True)
    async with running(create_app(manifest, settings), host="mcp.internal:8080") as client:
        same = await client.post(
            "/mcp", content=rpc("tools/list"), headers={**HEADERS, "origin": "http://mcp.internal:8080"}
        )
        assert same.status_code == 200
        other = await client.post(
            "/mcp", content=rpc("tools/list"), headers={**HEADERS, "origin": "http://evil.example"}
        )
        assert other.status_code == 403
        assert (await client.post("/mcp", content=rpc("tools/list"), headers=HEADERS)).status_code == 200


def test_transport_security_rules(tmp_path: Path) -> None:
    loop = transport_security(Settings.of(tmp_path, allowed_hosts=("mcp.example",)))
    assert loop is not None
    assert loop.enable_dns_rebinding_protection
    assert {"127.0.0.1:*", "localhost", "mcp.example"} <= set(loop.allowed_hosts)
    assert transport_security(Settings.of(tmp_path, host="0.0.0.0")) is None  # never lock a container
    public = transport_security(Settings.of(tmp_path, host="0.0.0.0", allowed_hosts=("mcp.example:*",)))
    assert public is not None
    assert public.allowed_hosts == ["mcp.example:*"]


async def test_swap_changes_what_health_reports(app: Starlette, tmp_path: Path) -> None:
    manifest, settings = make_manifest(
        tmp_path / "v2", {"one.py": "from mcpgen import tool\n\n@tool\ndef one() -> int:\n    return 1\n"}
    )
    async with running(app) as client:
        old = runtime_state(app).swap(Registry.load(manifest, settings))
        assert len(old.tools) > 1
        assert (await client.get("/health")).json()["tools"] == 1
