"""The fast path answers what the SDK path answers: the same requests sent to two apps, compared.

One app serves with ``fast_path`` on (the default), the other with it off
(every request through the SDK's transport). For each request in the corpus
both answers must agree (status, content type, JSON body), and the fast app's
counters must show which path served it -- so a request that silently fell
back to the SDK fails the test as surely as a wrong answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import orjson
import pytest
from starlette.applications import Starlette

from mcpgen.runtime import create_app
from mcpgen.runtime.transport.http import McpEndpoint

from .conftest import fixture_files, make_manifest

pytestmark = pytest.mark.anyio

MODERN = "2026-07-28"
ACCEPT = "application/json, text/event-stream"
ENVELOPE = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "diff", "version": "1"},
}


def legacy(version: str = "2025-11-25") -> dict[str, str]:
    return {"accept": ACCEPT, "content-type": "application/json", "mcp-protocol-version": version}


def modern(method: str, name: str | None = None) -> dict[str, str]:
    headers = {
        "accept": ACCEPT,
        "content-type": "application/json",
        "mcp-protocol-version": MODERN,
        "mcp-method": method,
    }
    if name is not None:
        headers["mcp-name"] = name
    return headers


def body(method: str, params: dict[str, Any] | None = None, *, envelope: bool = False, id: Any = 7) -> bytes:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None or envelope:
        message["params"] = dict(params or {})
        if envelope:
            message["params"]["_meta"] = {**ENVELOPE, **message["params"].get("_meta", {})}
    return orjson.dumps(message)


def call(name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "arguments": arguments or {}}


NAMED = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
FAST_REQUESTS: list[tuple[str, dict[str, Any] | None]] = [
    ("tools/list", None),
    ("tools/call", call("add", {"a": 2, "b": 3})),
    ("tools/call", call("shout", {"text": "hi"})),
    ("tools/call", call("point", {"x": 1, "y": 2})),  # structured output
    ("tools/call", call("stats", {"values": [1.0, 2.0]})),
    ("tools/call", call("nothing")),
    ("tools/call", call("refuse", {"reason": "no"})),  # ToolError -> isError
    ("tools/call", call("crash")),  # internal error -> isError with the request id
    ("tools/call", call("add", {"a": "x", "b": 3})),  # schema violation -> -32602
    ("tools/call", call("missing")),  # unknown tool -> -32602
    ("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}, "_meta": {"k": "v"}}),
    ("resources/list", None),
    ("resources/templates/list", None),
    ("resources/read", {"uri": "data://greeting"}),
    ("resources/read", {"uri": "data://config"}),
    ("resources/read", {"uri": "data://logo"}),
    ("resources/read", {"uri": "users://42/profile"}),
    ("resources/read", {"uri": "data://nowhere"}),
    ("prompts/list", None),
    ("prompts/get", {"name": "review", "arguments": {"code": "x = 1"}}),
    ("prompts/get", {"name": "chat", "arguments": {"topic": "mcp"}}),
    ("prompts/get", {"name": "review", "arguments": {}}),  # missing argument -> -32602
    ("prompts/get", {"name": "nope"}),
]
SDK_BODIES: list[bytes] = [
    b'{"jsonrpc": "2.0", "id": 1, "method": ',  # not JSON
    b"[]",  # a batch
    orjson.dumps([{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}]),
    orjson.dumps({"jsonrpc": "1.0", "id": 1, "method": "tools/list"}),
    orjson.dumps({"jsonrpc": "2.0", "id": None, "method": "tools/list"}),
    orjson.dumps({"jsonrpc": "2.0", "id": {"a": 1}, "method": "tools/list"}),
    orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": 5}}),
    orjson.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "add", "arguments": []}}
    ),
    orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call"}),
    orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "nope/nope", "params": {}}),
    orjson.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping", "extra": 1}),
]


@pytest.fixture
def files() -> dict[str, str]:
    return fixture_files("basic")


@asynccontextmanager
async def serving(
    tmp_path: Path, files: dict[str, str], **settings: Any
) -> AsyncIterator[httpx2.AsyncClient]:
    manifest, s = make_manifest(tmp_path, files, **settings)
    app = create_app(manifest, s)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


def served(client: httpx2.AsyncClient) -> dict[str, int]:
    app: Starlette = client.app  # type: ignore[attr-defined]
    endpoint = app.state.mcp_endpoint
    assert isinstance(endpoint, McpEndpoint)
    return dict(endpoint.served)


def answer(response: httpx2.Response) -> tuple[int, str, Any]:
    kind = response.headers.get("content-type", "").split(";")[0]
    content: Any = response.content
    if kind == "application/json" and content:
        content = orjson.loads(content)
    return response.status_code, kind, content


@asynccontextmanager
async def pair(tmp_path: Path, files: dict[str, str]) -> AsyncIterator[tuple[Any, Any]]:
    async with AsyncExitStack() as stack:
        fast = await stack.enter_async_context(serving(tmp_path / "fast", files))
        sdk = await stack.enter_async_context(serving(tmp_path / "sdk", files, fast_path=False))
        yield fast, sdk


async def compare(fast: Any, sdk: Any, content: bytes, headers: dict[str, str]) -> tuple[int, str, Any]:
    with anyio.fail_after(20):
        ours = answer(await fast.post("/mcp", content=content, headers=headers))
        theirs = answer(await sdk.post("/mcp", content=content, headers=headers))
    assert ours == theirs, f"fast path and SDK disagree on {content!r} with {headers}"
    return ours


def wires(method: str, params: dict[str, Any] | None) -> Iterator[tuple[bytes, dict[str, str]]]:
    yield body(method, params), legacy("2025-11-25")
    yield body(method, params), legacy("2025-06-18")
    name = (params or {}).get(NAMED.get(method, ""))
    yield body(method, params, envelope=True), modern(method, name)


async def test_fast_path_answers_like_the_sdk(tmp_path: Path, files: dict[str, str]) -> None:
    async with pair(tmp_path, files) as (fast, sdk):
        count = 0
        for method, params in FAST_REQUESTS:
            for content, headers in wires(method, params):
                before = served(fast)
                await compare(fast, sdk, content, headers)
                after = served(fast)
                assert after["fast"] == before["fast"] + 1, (
                    f"{content!r} {headers} did not take the fast path"
                )
                count += 1
        status, _, ping = await compare(fast, sdk, body("ping"), legacy())
        assert (status, ping["result"]) == (200, {})
        assert served(fast)["fast"] == count + 1
        assert served(sdk)["fast"] == 0


async def test_results_are_the_real_ones(tmp_path: Path, files: dict[str, str]) -> None:
    """Agreement alone would pass two broken paths: check a few answers by value."""
    async with pair(tmp_path, files) as (fast, _):
        _, _, added = answer(
            await fast.post(
                "/mcp", content=body("tools/call", call("add", {"a": 2, "b": 3})), headers=legacy()
            )
        )
        expected = {"content": [{"type": "text", "text": "5"}], "structuredContent": {"result": 5}}
        assert added == {"jsonrpc": "2.0", "id": 7, "result": expected}
        content, headers = (
            body("tools/call", call("add", {"a": 2, "b": 3}), envelope=True),
            modern("tools/call", "add"),
        )
        status, _, modern_added = answer(await fast.post("/mcp", content=content, headers=headers))
        result = modern_added["result"]
        assert (status, result["resultType"], result["content"][0]["text"]) == (200, "complete", "5")
        assert result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "runtime-test"
        unknown = body("tools/call", call("missing"), envelope=True)
        status, _, error = answer(
            await fast.post("/mcp", content=unknown, headers=modern("tools/call", "missing"))
        )
        assert (status, error["error"]["code"]) == (400, -32602)


@pytest.mark.parametrize("content", SDK_BODIES)
async def test_what_the_fast_path_turns_down_goes_to_the_sdk(
    tmp_path: Path, files: dict[str, str], content: bytes
) -> None:
    async with pair(tmp_path, files) as (fast, sdk):
        for headers in (legacy(), modern("tools/list")):
            await compare(fast, sdk, content, headers)
        assert served(fast)["fast"] == 0


@pytest.mark.parametrize(
    "headers",
    [
        {
            "accept": "text/event-stream",
            "content-type": "application/json",
            "mcp-protocol-version": "2025-11-25",
        },
        {"accept": ACCEPT, "content-type": "text/plain", "mcp-protocol-version": "2025-11-25"},
        {**legacy(), "host": "evil.example"},
        {**legacy(), "origin": "http://evil.example"},
        {"accept": ACCEPT, "content-type": "application/json"},  # no version header: 2025-03-26 shapes
        {**legacy("2024-11-05")},
        {**modern("tools/call", "shout")},  # header and body disagree (body says add)
        {**modern("tools/call", "add"), "mcp-protocol-version": "2099-01-01"},
        {**modern("tools/call", "add"), "mcp-param-a": "2"},
        {**modern("tools/call", "add"), "mcp-name": "=?base64?YWRk?="},  # "add", encoded: the SDK decodes it
    ],
)
async def test_transport_checks_are_the_sdks(
    tmp_path: Path, files: dict[str, str], headers: dict[str, str]
) -> None:
    envelope = headers.get("mcp-method") is not None
    content = body("tools/call", call("add", {"a": 2, "b": 3}), envelope=envelope)
    async with pair(tmp_path, files) as (fast, sdk):
        await compare(fast, sdk, content, headers)
        assert served(fast)["fast"] == 0


async def test_context_tools_and_sessions_stay_on_the_sdk_path(tmp_path: Path, files: dict[str, str]) -> None:
    async with pair(tmp_path, files) as (fast, _):
        with anyio.fail_after(20):
            worked = await fast.post(
                "/mcp", content=body("tools/call", call("work", {"steps": 1})), headers=legacy()
            )
            progress = body("tools/call", {**call("add", {"a": 1, "b": 1}), "_meta": {"progressToken": "p"}})
            tracked = await fast.post("/mcp", content=progress, headers=legacy())
        assert worked.status_code == tracked.status_code == 200
        assert served(fast) == {"fast": 0, "sdk": 2}
