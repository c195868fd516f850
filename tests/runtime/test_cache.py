"""Result caching: hits skip the tool, on both paths and both wires; TTL, LRU bound, per caller, Redis, metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
import redis

from mcpgen import tool
from mcpgen.authoring import DefinitionError
from mcpgen.config.models import CacheConfig
from mcpgen.runtime import create_app
from mcpgen.runtime.auth.settings import AuthSettings
from mcpgen.runtime.middleware.cache import MemoryStore, Policy, ResultCache
from mcpgen.runtime.settings import Settings

from .conftest import make_manifest
from .test_auth import make_keys
from .test_fastpath import body, call, legacy, modern

pytestmark = pytest.mark.anyio

TOOLS = '''
from mcpgen import Context, ToolError, tool

CALLS = {"lookup": 0, "weather": 0, "write": 0, "flaky": 0, "chatty": 0}


@tool(annotations={"readOnlyHint": True}, cache_ttl=60)
def lookup(word: str, limit: int = 3) -> dict:
    """Look a word up (cached by the decorator)."""
    CALLS["lookup"] += 1
    return {"word": word, "limit": limit, "n": CALLS["lookup"]}


@tool(annotations={"readOnlyHint": True})
def weather(city: str) -> str:
    """Weather for a city (cached by the config)."""
    CALLS["weather"] += 1
    return f"{city}: sunny #{CALLS['weather']}"


@tool
def write(text: str) -> str:
    """Not read-only."""
    CALLS["write"] += 1
    return text


@tool(annotations={"readOnlyHint": True}, cache_ttl=60)
def flaky(ok: bool) -> str:
    """Fails unless ok."""
    CALLS["flaky"] += 1
    if not ok:
        raise ToolError("not today")
    return "fine"


@tool(annotations={"readOnlyHint": True})
async def chatty(ctx: Context) -> str:
    """Takes a Context."""
    CALLS["chatty"] += 1
    return "hi"
'''
FILES = {"cached.py": TOOLS}


def calls_of(client: httpx2.AsyncClient) -> dict[str, int]:
    tool_ = client.app.state.mcpgen.registry.tools["lookup"]  # type: ignore[attr-defined]
    counts: dict[str, int] = tool_.definition.fn.__globals__["CALLS"]
    return counts


@asynccontextmanager
async def serving(tmp_path: Path, **settings: Any) -> AsyncIterator[httpx2.AsyncClient]:
    chain = settings.pop("chain", None)
    manifest, s = make_manifest(tmp_path, FILES, **settings)
    app = create_app(manifest, s, middleware=chain)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


async def call_tool(
    client: httpx2.AsyncClient, name: str, arguments: dict[str, Any], wire: str = "legacy", **headers: str
) -> dict[str, Any]:
    if wire == "modern":
        content, sent = body("tools/call", call(name, arguments), envelope=True), modern("tools/call", name)
    else:
        content, sent = body("tools/call", call(name, arguments)), legacy()
    with anyio.fail_after(20):
        response = await client.post("/mcp", content=content, headers={**sent, **headers})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


def served(client: httpx2.AsyncClient) -> dict[str, int]:
    return dict(client.app.state.mcp_endpoint.served)  # type: ignore[attr-defined]


WEATHER = {"weather": CacheConfig(ttl=60)}


@pytest.mark.parametrize("wire", ["legacy", "modern"])
@pytest.mark.parametrize("fast_path", [True, False])
async def test_a_hit_does_not_run_the_tool(tmp_path: Path, wire: str, fast_path: bool) -> None:
    async with serving(tmp_path, fast_path=fast_path, tool_caches=WEATHER) as client:
        first = await call_tool(client, "lookup", {"word": "cat", "limit": 2}, wire)
        again = await call_tool(client, "lookup", {"limit": 2, "word": "cat"}, wire)  # same, other key order
        other = await call_tool(client, "lookup", {"word": "dog", "limit": 2}, wire)
        assert first["structuredContent"]["n"] == again["structuredContent"]["n"] == 1
        assert other["structuredContent"]["n"] == 2
        assert calls_of(client)["lookup"] == 2
        sunny = [await call_tool(client, "weather", {"city": "Oslo"}, wire) for _ in range(3)]
        assert {r["content"][0]["text"] for r in sunny} == {"Oslo: sunny #1"}
        assert calls_of(client)["weather"] == 1
        path = "fast" if fast_path else "sdk"
        assert served(client)[path] == 6
        assert served(client)["fast" if not fast_path else "sdk"] == 0


async def test_errors_and_unmarked_tools_are_not_cached(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caches = {"write": CacheConfig(ttl=60), "chatty": CacheConfig(ttl=60)}
    with caplog.at_level(logging.WARNING, logger="mcpgen.runtime"):
        async with serving(tmp_path, tool_caches=caches) as client:
            for _ in range(2):
                assert (await call_tool(client, "flaky", {"ok": False}))["isError"] is True
                await call_tool(client, "write", {"text": "x"})
            assert calls_of(client)["flaky"] == 2  # an isError result is never kept
            assert calls_of(client)["write"] == 2  # not read-only: not cached
    assert "tool 'write' is not cached: it is not marked readOnlyHint" in caplog.text


async def test_force_caches_a_tool_not_marked_read_only_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="mcpgen.runtime"):
        async with serving(tmp_path, tool_caches={"write": CacheConfig(ttl=60, force=True)}) as client:
            for _ in range(3):
                await call_tool(client, "write", {"text": "x"})
            assert calls_of(client)["write"] == 1
    assert "tool 'write' is cached because tools.write.cache.force is set" in caplog.text


async def test_ttl_expiry_and_the_lru_bound_with_an_injected_clock(tmp_path: Path) -> None:
    now = [1000.0]
    store = MemoryStore(clock=lambda: now[0])
    chain = [ResultCache({"weather": CacheConfig(ttl=10, max_entries=2)}, store)]
    async with serving(tmp_path, chain=chain) as client:
        await call_tool(client, "weather", {"city": "a"})
        now[0] += 9.9
        await call_tool(client, "weather", {"city": "a"})
        assert calls_of(client)["weather"] == 1
        now[0] += 0.2  # past the ttl
        await call_tool(client, "weather", {"city": "a"})
        assert calls_of(client)["weather"] == 2
        await call_tool(client, "weather", {"city": "b"})
        await call_tool(client, "weather", {"city": "c"})  # a third entry pushes out the oldest ("a")
        assert store.size("weather") == 2
        await call_tool(client, "weather", {"city": "c"})
        assert calls_of(client)["weather"] == 4
        await call_tool(client, "weather", {"city": "a"})
        assert calls_of(client)["weather"] == 5


async def test_per_caller_results_are_not_shared_between_api_keys(tmp_path: Path) -> None:
    keys = make_keys(tmp_path / "keys.json")
    auth = AuthSettings(api_keys=True, api_keys_file=tmp_path / "keys.json")
    caches = {"weather": CacheConfig(ttl=60, per_caller=True)}
    async with serving(tmp_path / "ws", auth=auth, tool_caches=caches) as client:
        reader = {"authorization": f"Bearer {keys['reader']}"}
        admin = {"authorization": f"Bearer {keys['admin']}"}
        texts = [
            (await call_tool(client, "weather", {"city": "x"}, **h))["content"][0]["text"]
            for h in (reader, admin)
        ]
        assert texts == ["x: sunny #1", "x: sunny #2"]
        again = [
            (await call_tool(client, "weather", {"city": "x"}, **h))["content"][0]["text"]
            for h in (admin, reader)
        ]
        assert again == ["x: sunny #2", "x: sunny #1"]
        assert calls_of(client)["weather"] == 2


async def test_redis_results_are_shared_by_replicas_and_counted(tmp_path: Path, redis_url: str) -> None:
    redis.Redis.from_url(redis_url).flushdb()
    async with AsyncExitStack() as stack:
        one = await stack.enter_async_context(
            serving(tmp_path / "one", redis_url=redis_url, tool_caches=WEATHER)
        )
        two = await stack.enter_async_context(
            serving(tmp_path / "two", redis_url=redis_url, tool_caches=WEATHER, fast_path=False)
        )
        first = await call_tool(one, "lookup", {"word": "cat"})
        shared = await call_tool(two, "lookup", {"word": "cat"}, "modern")
        assert first["structuredContent"] == shared["structuredContent"]
        assert calls_of(one)["lookup"] == 1
        assert calls_of(two)["lookup"] == 0
        metrics = (await two.get("/metrics")).text
        assert 'mcpgen_cache_hits_total{tool="lookup"} 1.0' in metrics
        assert 'mcpgen_cache_misses_total{tool="lookup"} 0.0' in metrics
        assert 'mcpgen_cache_misses_total{tool="lookup"} 1.0' in (await one.get("/metrics")).text


async def test_redis_expiry(redis_url: str) -> None:
    redis.Redis.from_url(redis_url).flushdb()
    from mcpgen.runtime.middleware.cache import RedisStore

    store = RedisStore(redis_url)
    try:
        await store.put("t", b"k", {"content": []}, Policy(ttl=0.05))
        assert await store.get("t", b"k") == {"content": []}
        await anyio.sleep(0.1)
        assert await store.get("t", b"k") is None
    finally:
        await store.aclose()


async def test_unreachable_redis_fails_open(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mcpgen.runtime"):
        async with serving(tmp_path, redis_url="redis://127.0.0.1:9/0", tool_caches=WEATHER) as client:
            for _ in range(2):
                assert not (await call_tool(client, "weather", {"city": "a"})).get("isError")
            assert calls_of(client)["weather"] == 2
    assert "result cache unavailable" in caplog.text


def test_no_cache_middleware_unless_something_is_cached(tmp_path: Path) -> None:
    from mcpgen.runtime.middleware import configured

    manifest, settings = make_manifest(
        tmp_path, {"plain.py": "from mcpgen import tool\n\n@tool\ndef f() -> int:\n    return 1\n"}
    )
    assert not any(isinstance(m, ResultCache) for m in configured(settings, manifest))
    cached = Settings.of(tmp_path, tool_caches={"f": CacheConfig(ttl=5)})
    assert any(isinstance(m, ResultCache) for m in configured(cached, manifest))


def test_cache_ttl_needs_a_read_only_tool_without_context() -> None:
    with pytest.raises(DefinitionError, match="readOnlyHint"):

        @tool(cache_ttl=5)
        def plain() -> int:
            return 1

    with pytest.raises(DefinitionError, match="positive number"):

        @tool(cache_ttl=0, annotations={"readOnlyHint": True})
        def zero() -> int:
            return 1
