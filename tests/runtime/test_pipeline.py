"""The call pipeline: middleware sees every call on both paths and both wires, in order, and can refuse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx2
import orjson
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from prometheus_client import generate_latest

from mcpgen.runtime import CallContext, CallError, create_app
from mcpgen.runtime.pipeline import Next, Result

from .conftest import fixture_files, make_manifest
from .test_fastpath import body, call, legacy, modern

pytestmark = pytest.mark.anyio


class Recorder:
    """Records what it sees, then passes the call on."""

    def __init__(self, name: str, log: list[tuple[str, ...]]) -> None:
        self.name = name
        self.log = log

    async def __call__(self, call: CallContext, call_next: Next) -> Result:
        self.log.append((self.name, call.method, call.name, call.path, call.wire))
        call.state.setdefault("seen", []).append(self.name)
        result = await call_next(call)
        self.log.append((self.name, "done", ",".join(call.state["seen"])))
        return result


class RefuseCrash:
    async def __call__(self, call: CallContext, call_next: Next) -> Result:
        if call.method == "tools/call" and call.name == "crash":
            raise CallError(-32001, f"Tool '{call.name}' is not allowed")
        return await call_next(call)


async def post(client: httpx2.AsyncClient, content: bytes, headers: dict[str, str]) -> Any:
    with anyio.fail_after(20):
        response = await client.post("/mcp", content=content, headers=headers)
    return response.status_code, orjson.loads(response.content)


async def test_middleware_runs_in_order_on_both_paths(tmp_path: Path) -> None:
    log: list[tuple[str, ...]] = []
    manifest, settings = make_manifest(tmp_path, fixture_files("basic"))
    app = create_app(
        manifest, settings, middleware=[Recorder("outer", log), Recorder("inner", log), RefuseCrash()]
    )
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as http:
            _, added = await post(http, body("tools/call", call("add", {"a": 1, "b": 2})), legacy())
            assert added["result"]["content"][0]["text"] == "3"
            assert log[:4] == [
                ("outer", "tools/call", "add", "fast", "2025-11-25"),
                ("inner", "tools/call", "add", "fast", "2025-11-25"),
                ("inner", "done", "outer,inner"),
                ("outer", "done", "outer,inner"),
            ]
            log.clear()
            content = body("tools/call", call("crash"), envelope=True)
            status, refused = await post(http, content, modern("tools/call", "crash"))
            assert refused["error"] == {"code": -32001, "message": "Tool 'crash' is not allowed"}
            assert status == 200  # a server-defined code maps to no HTTP status
            assert log == [
                ("outer", "tools/call", "crash", "fast", "2026-07-28"),
                ("inner", "tools/call", "crash", "fast", "2026-07-28"),
            ]
            log.clear()
            for _ in range(2):  # with middleware, listings are not served from the cache
                await post(http, body("tools/list"), legacy())
            assert [entry[1] for entry in log if entry[0] == "outer"] == ["tools/list", "done"] * 2
            log.clear()
        async with Client(app.state.mcp_server, mode="legacy") as client:  # the SDK path, in memory
            with anyio.fail_after(20):
                worked = await client.call_tool("work", {"steps": 1})
                with pytest.raises(MCPError, match="not allowed"):
                    await client.call_tool("crash", {})
        assert not worked.is_error
        assert [e[3] for e in log if e[0] == "outer" and e[1] == "tools/call"] == ["sdk", "sdk"]


async def test_refusal_on_the_sdk_path_is_a_json_rpc_error(tmp_path: Path) -> None:
    manifest, settings = make_manifest(tmp_path, fixture_files("basic"), fast_path=False)
    app = create_app(manifest, settings, middleware=[RefuseCrash()])
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as http:
            _, refused = await post(http, body("tools/call", call("crash")), legacy())
            _, added = await post(http, body("tools/call", call("add", {"a": 1, "b": 2})), legacy())
    assert refused["error"]["code"] == -32001
    assert "not allowed" in refused["error"]["message"]
    assert added["result"]["content"][0]["text"] == "3"


class Peek:
    """Observe-only: records the keys of each listing result it sees (cached ones come back empty)."""

    changes_listings = False

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    async def __call__(self, call: CallContext, call_next: Next) -> Result:
        result = await call_next(call)
        self.seen.append(sorted(result))
        return result


def test_listings_are_cacheable_only_when_every_middleware_says_it_leaves_them_alone(tmp_path: Path) -> None:
    from mcpgen.runtime.middleware import configured
    from mcpgen.runtime.middleware.rbac import Rbac
    from mcpgen.runtime.pipeline import Pipeline

    _manifest, settings = make_manifest(tmp_path, fixture_files("basic"))
    state: Any = None
    assert Pipeline(state).lists_cacheable
    assert configured(settings)  # metrics are on by default ...
    assert Pipeline(state, configured(settings)).lists_cacheable  # ... and only observe
    assert not Pipeline(state, [Peek(), Rbac({})]).lists_cacheable  # RBAC filters per caller
    assert not Pipeline(state, [Peek(), RefuseCrash()]).lists_cacheable  # undeclared: may change them


@pytest.mark.parametrize("wire", ["legacy", "modern"])
async def test_cached_listings_still_run_through_observe_only_middleware(tmp_path: Path, wire: str) -> None:
    from mcpgen.runtime.middleware.metrics import Metrics
    from mcpgen.runtime.middleware.ratelimit import RateLimit
    from mcpgen.runtime.settings import LimitSettings
    from mcpgen.runtime.telemetry.metrics import Instruments

    from .test_metrics import samples, value

    manifest, settings = make_manifest(tmp_path, fixture_files("basic"))
    peek, instruments = Peek(), Instruments()
    limit = RateLimit(LimitSettings(rate_limit="3/minute"))
    app = create_app(manifest, settings, middleware=[Metrics(instruments), peek, limit])
    content, headers = (
        (body("tools/list", envelope=True), modern("tools/list"))
        if wire == "modern"
        else (body("tools/list"), legacy())
    )
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as http:
            answers = [await post(http, content, headers) for _ in range(4)]
    assert [status for status, _ in answers[:3]] == [200, 200, 200]
    assert answers[1][1] == answers[0][1] == answers[2][1]  # the same bytes, from the cache
    assert answers[3][0] == 429  # the limiter still sees cached listings
    assert peek.seen[0] != []
    assert peek.seen[1:] == [[], []]
    found = samples(generate_latest(instruments.registry).decode())
    assert value(found, "mcpgen_calls_total", method="tools/list", target="", outcome="ok") == 3
    assert value(found, "mcpgen_calls_total", method="tools/list", target="", outcome="rejected") == 1
    assert value(found, "mcpgen_rate_limited_total", reason="client") == 1
    assert app.state.mcp_endpoint.served["fast"] == 4
