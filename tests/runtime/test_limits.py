"""Rate limits, concurrency, result size, sessions and security headers, on both paths and wires."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import httpx2
import orjson
import pytest
import redis
from mcp import Client
from mcp.shared.exceptions import MCPError

from mcpgen.runtime import CallContext, create_app
from mcpgen.runtime.logs import configure_logging
from mcpgen.runtime.middleware.ratelimit import RATE_LIMITED, RateLimit, client_key
from mcpgen.runtime.pipeline import ClientIdentity, Result
from mcpgen.runtime.settings import LimitSettings

from .conftest import fixture_files, make_manifest
from .test_fastpath import body, call, legacy, modern, serving

pytestmark = pytest.mark.anyio

BIG = '''
from mcpgen import resource, tool


@tool
def big(size: int) -> str:
    """A result of `size` characters."""
    return "x" * size


@resource("data://big/{size}")
def big_resource(size: str) -> str:
    return "y" * int(size)
'''


@asynccontextmanager
async def both(tmp_path: Path, files: dict[str, str], **settings: Any) -> AsyncIterator[list[Any]]:
    """A fast-path app and an SDK-only app with the same settings."""
    async with AsyncExitStack() as stack:
        fast = await stack.enter_async_context(serving(tmp_path / "fast", files, **settings))
        sdk = await stack.enter_async_context(serving(tmp_path / "sdk", files, fast_path=False, **settings))
        yield [fast, sdk]


def add_call(wire: str, a: int = 1) -> tuple[bytes, dict[str, str]]:
    if wire == "modern":
        return body("tools/call", call("add", {"a": a, "b": 1}), envelope=True), modern("tools/call", "add")
    return body("tools/call", call("add", {"a": a, "b": 1})), legacy()


async def post(client: httpx2.AsyncClient, content: bytes, headers: dict[str, str]) -> httpx2.Response:
    with anyio.fail_after(20):
        return await client.post("/mcp", content=content, headers=headers)


# rate limits -----------------------------------------------------------------


@pytest.mark.parametrize("wire", ["legacy", "modern"])
async def test_over_the_client_rate_is_429_with_retry_after_on_both_paths(tmp_path: Path, wire: str) -> None:
    async with both(tmp_path, fixture_files("basic"), rate_limit="2/minute") as apps:
        for client in apps:
            answers = [await post(client, *add_call(wire, a)) for a in range(3)]
            assert [r.status_code for r in answers] == [200, 200, 429]
            refused = answers[2]
            assert 1 <= int(refused.headers["retry-after"]) <= 60
            error = refused.json()["error"]
            assert error["code"] == RATE_LIMITED
            assert "Rate limit exceeded for this client" in error["message"]
            assert error["data"]["retryAfter"] == int(refused.headers["retry-after"])
            assert refused.json()["id"] == 7


async def test_a_tool_rate_counts_only_that_tool(tmp_path: Path) -> None:
    async with both(tmp_path, fixture_files("basic"), tool_rate_limits={"ad*": "1/minute"}) as apps:
        for client in apps:
            first, second = [await post(client, *add_call("legacy")) for _ in range(2)]
            assert (first.status_code, second.status_code) == (200, 429)
            assert "tool 'add'" in second.json()["error"]["message"]
            shout = await post(client, body("tools/call", call("shout", {"text": "hi"})), legacy())
            assert shout.status_code == 200
            assert "result" in shout.json()


async def test_stdio_gets_the_json_rpc_error(tmp_path: Path) -> None:
    manifest, settings = make_manifest(tmp_path, fixture_files("basic"), rate_limit="3/minute")
    app = create_app(manifest, settings)
    async with Client(app.state.mcp_server, mode="legacy") as client:  # the SDK path, no HTTP request
        with anyio.fail_after(20):
            assert not (await client.call_tool("add", {"a": 1, "b": 2})).is_error  # (the client lists first)
            await client.call_tool(
                "add", {"a": 1, "b": 2}
            )  # the third call (with the listing) the rate allows
            with pytest.raises(MCPError) as refused:
                await client.call_tool("add", {"a": 1, "b": 2})
    assert refused.value.error.code == RATE_LIMITED
    assert refused.value.error.data["retryAfter"] >= 1


class Hold:
    """The innermost step: waits until released (to keep calls in flight)."""

    def __init__(self) -> None:
        self.release = anyio.Event()
        self.started = 0

    async def __call__(self, call: CallContext) -> Result:
        self.started += 1
        await self.release.wait()
        return {"content": []}


def context(peer: str | None = "10.0.0.1", client: ClientIdentity | None = None) -> CallContext:
    return CallContext(
        method="tools/call",
        name="add",
        arguments={},
        request_id=1,
        wire="2025-11-25",
        transport="http",
        path="fast",
        registry=None,  # type: ignore[arg-type]
        peer=peer,
        client=client,
    )


async def test_concurrent_calls_are_capped_per_client() -> None:
    limit = RateLimit(LimitSettings(max_concurrent_calls=2))
    hold = Hold()
    refusals: list[int | None] = []

    async def run(call: CallContext) -> None:
        try:
            await limit(call, hold)
        except Exception as exc:
            refusals.append(getattr(exc, "http_status", None))

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            for _ in range(2):
                tg.start_soon(run, context())
            while hold.started < 2:
                await anyio.lowlevel.checkpoint()
            await run(context())  # a third from the same client: refused at once
            other = anyio.Event()

            async def another_client() -> None:
                await limit(context(peer="10.0.0.2"), hold)
                other.set()

            tg.start_soon(another_client)
            while hold.started < 3:  # another client is not held back
                await anyio.lowlevel.checkpoint()
            hold.release.set()
    assert refusals == [429]
    await limit(context(), hold)  # all done: room again


def test_the_client_is_the_identity_when_auth_set_one() -> None:
    assert client_key(context()) == "ip:10.0.0.1"
    assert client_key(context(client=ClientIdentity("alice", "api_key"))) == "id:alice"
    assert client_key(context(peer=None)) == "stdio"
    assert client_key(context(client=ClientIdentity("10.0.0.1", "jwt"))) != client_key(context())


async def test_redis_buckets_are_shared_by_replicas(tmp_path: Path, redis_url: str) -> None:
    """Two apps (two replicas) on one Redis draw from one bucket; a third on memory does not."""
    files = fixture_files("basic")
    rate = "2/minute"
    redis.Redis.from_url(redis_url).flushdb()
    async with AsyncExitStack() as stack:
        one = await stack.enter_async_context(
            serving(tmp_path / "one", files, rate_limit=rate, redis_url=redis_url)
        )
        two = await stack.enter_async_context(
            serving(tmp_path / "two", files, rate_limit=rate, redis_url=redis_url, fast_path=False)
        )
        alone = await stack.enter_async_context(serving(tmp_path / "alone", files, rate_limit=rate))
        statuses = [(await post(c, *add_call("legacy"))).status_code for c in (one, two, one, two)]
        assert statuses[:2] == [200, 200]
        assert statuses[2:] == [429, 429]
        assert (await post(alone, *add_call("legacy"))).status_code == 200


async def test_an_unreachable_redis_lets_calls_through(tmp_path: Path) -> None:
    async with serving(
        tmp_path, fixture_files("basic"), rate_limit="1/minute", redis_url="redis://127.0.0.1:9/0"
    ) as client:
        statuses = [(await post(client, *add_call("legacy"))).status_code for _ in range(2)]
    assert statuses == [200, 200]


# caps ------------------------------------------------------------------------


@pytest.mark.parametrize("wire", ["legacy", "modern"])
async def test_an_oversized_tool_result_is_refused_with_is_error(tmp_path: Path, wire: str) -> None:
    files = {**fixture_files("basic"), "big.py": BIG}
    async with both(tmp_path, files, max_result_size=1000) as apps:
        for client in apps:
            for size, refused in ((900, False), (5000, True)):
                arguments = {"size": size}
                if wire == "modern":
                    content = body("tools/call", call("big", arguments), envelope=True)
                    headers = modern("tools/call", "big")
                else:
                    content, headers = body("tools/call", call("big", arguments)), legacy()
                result = (await post(client, content, headers)).json()["result"]
                assert bool(result.get("isError")) is refused
                if refused:
                    text = result["content"][0]["text"]
                    assert "more than 1000 bytes" in text
                    assert "server.max_result_size" in text
                    assert len(text) < 300


async def test_an_oversized_resource_is_a_json_rpc_error(tmp_path: Path) -> None:
    files = {**fixture_files("basic"), "big.py": BIG}
    async with both(tmp_path, files, max_result_size=1000) as apps:
        for client in apps:
            small = await post(client, body("resources/read", {"uri": "data://big/10"}), legacy())
            large = await post(client, body("resources/read", {"uri": "data://big/5000"}), legacy())
            assert "result" in small.json()
            assert "server.max_result_size" in large.json()["error"]["message"]


async def test_the_session_cap_answers_503(tmp_path: Path) -> None:
    initialize = orjson.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        }
    )
    headers = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
    async with serving(tmp_path, fixture_files("basic"), max_sessions=1, json_response=True) as client:
        first = await post(client, initialize, headers)
        second = await post(client, initialize, headers)
    assert first.status_code == 200
    assert first.headers.get("mcp-session-id")
    assert second.status_code == 503


async def test_a_made_up_session_id_is_404_in_auto_mode(tmp_path: Path) -> None:
    initialize = body(
        "initialize",
        {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    )
    async with serving(tmp_path, fixture_files("basic"), json_response=True) as client:
        made_up = await post(client, *add_call("legacy"))
        assert made_up.status_code == 200  # no session id: stateless, fine
        bogus = {**legacy(), "mcp-session-id": "not-a-session"}
        assert (await post(client, add_call("legacy")[0], bogus)).status_code == 404
        opened = await post(client, initialize, legacy())
        session = {**legacy(), "mcp-session-id": opened.headers["mcp-session-id"]}
        real = await post(client, add_call("legacy")[0], session)
        assert real.status_code == 200
        assert real.json()["result"]["content"][0]["text"] == "2"


# security headers ------------------------------------------------------------


async def test_security_headers_on_every_response_and_no_cors_unless_configured(tmp_path: Path) -> None:
    async with both(tmp_path, fixture_files("basic")) as apps:
        for client in apps:
            for response in (
                await post(client, *add_call("legacy")),
                await post(client, b"[]", legacy()),
                await client.get("/mcp", headers=legacy()),
            ):
                assert response.headers["x-content-type-options"] == "nosniff"
                assert response.headers["x-frame-options"] == "DENY"
                assert response.headers["cache-control"] == "no-store"
                assert "access-control-allow-origin" not in response.headers
            health = await client.get("/health")
            assert health.headers["x-content-type-options"] == "nosniff"
            assert "cache-control" not in health.headers
    origins = ["https://app.example"]
    async with serving(
        tmp_path / "cors", fixture_files("basic"), cors_allow_origins=origins, allowed_origins=origins
    ) as c:
        response = await post(c, add_call("legacy")[0], {**legacy(), "origin": "https://app.example"})
        assert response.headers["access-control-allow-origin"] == "https://app.example"


# logs ------------------------------------------------------------------------


async def test_debug_logs_carry_sizes_and_ids_not_payloads(tmp_path: Path) -> None:
    """``-vv`` once logged every SSE chunk: whole tool results in the log."""
    log = io.StringIO()
    configure_logging("info", stream=io.StringIO())  # an earlier, quieter configuration must not stick
    configure_logging("debug", stream=log)
    try:
        async with serving(tmp_path, fixture_files("basic")) as client:
            # a progress token makes it a stream: the answer goes out as an SSE chunk
            content = body(
                "tools/call",
                {**call("shout", {"text": "payload-marker"}), "_meta": {"progressToken": "p"}},
                id=4242,
            )
            response = await post(client, content, legacy())
        assert "PAYLOAD-MARKER" in response.text
        logging.getLogger("mcp.server.sse").debug("Received JSON: {'secret': 'payload-marker'}")
    finally:
        configure_logging("warning", stream=io.StringIO())
    text = log.getvalue()
    assert "chunk: " in text
    assert "bytes (ids 4242)" in text
    assert "PAYLOAD-MARKER" not in text
    assert "payload-marker" not in text
    assert "Received JSON: 28 characters (payload not logged)" in text


async def test_local_windows_slide_like_the_limits_strategy() -> None:
    """The in-memory counters: refuse past the amount, slide with the window, forget idle buckets."""
    from limits import parse

    from mcpgen.runtime.middleware.ratelimit import LocalWindows

    now = [1000.0 * 60]
    windows = LocalWindows(max_keys=3, clock=lambda: now[0])
    item = parse("4/minute")
    assert [await windows.hit(item, "c", "a") for _ in range(5)] == [True] * 4 + [False]
    stats = await windows.get_window_stats(item, "c", "a")
    assert (stats.remaining, stats.reset_time) == (0, 1001.0 * 60)
    now[0] += 60 + 30  # half way into the next window: 4 * 0.5 of the last one still counts
    assert [await windows.hit(item, "c", "a") for _ in range(3)] == [True, True, False]
    now[0] += 180  # long idle: a fresh bucket
    assert await windows.hit(item, "c", "a")
    for client in ("b", "c", "d"):  # past max_keys the idle ones are dropped
        assert await windows.hit(item, "c", client)
    assert len(windows._buckets) <= 3
