"""OpenAPI tools end to end: a pets API on 127.0.0.1 serving its own spec, fetched by `generate`, served
by a generated server, called with the official MCP SDK client (both wires) and raw requests (both paths)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from mcpgen import Context, ToolError
from mcpgen.config.models import CacheConfig, OpenApiConfig
from mcpgen.manifest import HttpAuth, HttpOperation, HttpParameter, Manifest
from mcpgen.runtime import create_app
from mcpgen.runtime.executors import Invocation, ThreadPool
from mcpgen.runtime.executors.openapi import HttpClients, HttpOperationExecutor
from mcpgen.runtime.registry import Registry
from mcpgen.runtime.settings import Settings
from mcpgen.workflows.generate import generate
from petstore import SPEC, ThreadServer
from petstore import create_app as petstore_app

from .test_fastpath import body, call, legacy, modern

pytestmark = pytest.mark.anyio
KEY = "pets-secret-key-123"


@pytest.fixture(scope="module")
def pets() -> Iterator[ThreadServer]:
    app = petstore_app(KEY)
    server = ThreadServer(app).start()
    server.app = app  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.stop()


def calls(pets: ThreadServer) -> dict[str, int]:
    return dict(pets.app.state.calls)  # type: ignore[attr-defined]


@pytest.fixture
def workspace(tmp_path: Path, pets: ThreadServer) -> tuple[Path, Manifest]:
    """A workspace whose mcpgen.yaml names the pets spec by URL; generated (fetched) once."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / "mcpgen.yaml").write_text(f"name: gateway\nopenapi:\n  pets:\n    url: {pets.url}/openapi.json\n")
    generated = generate(root)
    assert generated.report.ok, [str(d) for d in generated.report.diagnostics]
    assert generated.manifest is not None
    return root, generated.manifest


def text_of(result: Any) -> str:
    return "".join(block.text for block in result.content)


def test_generate_snapshots_the_spec_and_lists_its_tools(
    workspace: tuple[Path, Manifest], pets: ThreadServer
) -> None:
    root, manifest = workspace
    assert json.loads((root / "openapi" / "pets.json").read_text()) == SPEC
    tools = {t.name: t for t in manifest.tools}
    assert {"listPets", "createPet", "show_pet_by_id", "delete_pets_petId", "health"} <= set(tools)
    assert tools["listPets"].http is not None
    assert tools["listPets"].http.base_url == f"{pets.url}/v1"  # the spec's relative server, against its URL
    assert [c.name for c in manifest.credentials] == ["PETS_API_KEY"]


def test_a_failed_fetch_keeps_the_snapshot(workspace: tuple[Path, Manifest]) -> None:
    root, _ = workspace
    (root / "mcpgen.yaml").write_text(
        "name: gateway\nopenapi:\n  pets:\n    url: http://127.0.0.1:9/openapi.json\n"
    )
    again = generate(root)
    assert again.report.ok
    assert [d.code for d in again.report.diagnostics if d.code == "openapi-fetch"] == ["openapi-fetch"]
    assert again.manifest is not None
    assert "listPets" in {t.name for t in again.manifest.tools}
    (root / "openapi" / "pets.json").unlink()
    gone = generate(root)
    assert not gone.report.ok
    assert any(
        d.code == "openapi-fetch" and "http://127.0.0.1:9/openapi.json" in d.message
        for d in gone.report.errors
    )


@asynccontextmanager
async def served_over_http(root: Path, manifest: Manifest, **settings: Any) -> AsyncIterator[str]:
    app = create_app(manifest, Settings.of(root, **settings))
    server = ThreadServer(app, lifespan="on").start()
    try:
        yield f"{server.url}/mcp"
    finally:
        server.stop()


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_sdk_client_calls_the_api_through_the_server(
    workspace: tuple[Path, Manifest], pets: ThreadServer, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("PETS_API_KEY", KEY)
    root, manifest = workspace
    async with served_over_http(root, manifest) as url, Client(url, mode=mode) as client:
        with anyio.fail_after(30):
            listed = {t.name: t for t in (await client.list_tools()).tools}
            assert listed["listPets"].annotations is not None
            assert listed["listPets"].annotations.read_only_hint is True
            dogs = await client.call_tool("listPets", {"tag": "dog", "limit": 5})
            assert not dogs.is_error
            assert dogs.structured_content == {"result": [{"id": 1, "name": "Rex", "tag": "dog"}]}
            shown = await client.call_tool("show_pet_by_id", {"petId": 2, "X-Trace": "t-1"})
            assert shown.structured_content == {"id": 2, "name": "Tom", "tag": "cat", "trace": "t-1"}
            assert json.loads(text_of(shown)) == shown.structured_content
            made = await client.call_tool("createPet", {"name": "Kit", "category": {"name": "cats"}})
            assert made.structured_content is not None
            assert made.structured_content["name"] == "Kit"
            assert made.structured_content["category"] == {"name": "cats"}
            refused = await client.call_tool("delete_pets_petId", {"petId": 1})
            assert refused.is_error
            assert "HTTP 403" in text_of(refused)
            assert "deleting is not allowed here" in text_of(refused)
            missing = await client.call_tool("show_pet_by_id", {"petId": 999})
            assert missing.is_error
            assert "404" in text_of(missing)
            with pytest.raises(MCPError, match="limit"):  # the input schema is checked before any request
                await client.call_tool("listPets", {"limit": "many"})
            assert calls(pets)["listPets"] >= 1


async def test_without_the_credential_the_api_says_401_and_nothing_leaks(
    workspace: tuple[Path, Manifest], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PETS_API_KEY", raising=False)
    root, manifest = workspace
    async with served_over_http(root, manifest) as url, Client(url) as client:
        with anyio.fail_after(30):
            denied = await client.call_tool("listPets", {})
            assert denied.is_error
            assert "HTTP 401" in text_of(denied)
            assert (await client.call_tool("health", {})).content[0].text == "ok"  # security: [] needs none


@asynccontextmanager
async def asgi(root: Path, manifest: Manifest, **settings: Any) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(manifest, Settings.of(root, **settings))
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


@pytest.mark.parametrize("fast_path", [True, False])
async def test_both_paths_both_wires_with_rate_limits_and_a_configured_base_url(
    workspace: tuple[Path, Manifest], pets: ThreadServer, monkeypatch: pytest.MonkeyPatch, fast_path: bool
) -> None:
    monkeypatch.setenv("PETS_API_KEY", KEY)
    root, manifest = workspace
    nowhere = manifest.model_copy(
        update={
            "tools": [
                t.model_copy(update={"http": t.http.model_copy(update={"base_url": "http://127.0.0.1:9/v1"})})
                if t.http is not None
                else t
                for t in manifest.tools
            ]
        }
    )
    requests = [
        (body("tools/call", call("show_pet_by_id", {"petId": 1})), legacy()),
        (
            body("tools/call", call("show_pet_by_id", {"petId": 1}), envelope=True),
            modern("tools/call", "show_pet_by_id"),
        ),
    ]
    async with asgi(root, nowhere, fast_path=fast_path) as client:
        unreachable = (await client.post("/mcp", content=requests[0][0], headers=requests[0][1])).json()[
            "result"
        ]
        assert unreachable["isError"] is True
        assert "cannot reach http://127.0.0.1:9/v1" in unreachable["content"][0]["text"]
    fixed = {"pets": OpenApiConfig(base_url=f"{pets.url}/v1")}
    limits = {"show_pet_by_id": "2/minute"}
    async with asgi(root, nowhere, fast_path=fast_path, openapi=fixed, tool_rate_limits=limits) as client:
        for content, headers in requests:
            answer = (await client.post("/mcp", content=content, headers=headers)).json()["result"]
            assert answer["structuredContent"]["name"] == "Rex"
        limited = await client.post("/mcp", content=requests[0][0], headers=requests[0][1])
        assert limited.status_code == 429  # the same pipeline: rate limits apply to OpenAPI tools
        served = dict(client.app.state.mcp_endpoint.served)  # type: ignore[attr-defined]
        assert served["fast" if fast_path else "sdk"] == 3
        metrics = (await client.get("/metrics")).text
        assert 'mcpgen_calls_total{method="tools/call",outcome="ok",target="show_pet_by_id"} 2.0' in metrics


def invocation(arguments: dict[str, Any], time_limit: float = 5) -> Invocation:
    return Invocation("t", arguments, Context(), {}, None, 1, time_limit, ThreadPool())


async def test_requests_carry_parameters_bodies_and_each_kind_of_auth(
    pets: ThreadServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("A_TOKEN", "tok")
    monkeypatch.setenv("A_BASIC", "user:pw")
    monkeypatch.setenv("A_KEY", "k1")
    params = [
        HttpParameter(name="id", location="path", argument="id"),
        HttpParameter(name="tags", location="query", argument="tags"),
        HttpParameter(name="ids", location="query", argument="ids", explode=False),
        HttpParameter(name="flag", location="query", argument="flag"),
        HttpParameter(name="X-Req", location="header", argument="req"),
        HttpParameter(name="session", location="cookie", argument="session"),
    ]
    cases = [
        (HttpAuth(kind="bearer", credential="A_TOKEN"), {"authorization": "Bearer tok"}, []),
        (HttpAuth(kind="basic", credential="A_BASIC"), {"authorization": "Basic dXNlcjpwdw=="}, []),
        (HttpAuth(kind="api_key", credential="A_KEY", location="query", name="key"), {}, [["key", "k1"]]),
    ]
    clients = HttpClients({})
    try:
        for auth, headers, query in cases:
            op = HttpOperation(
                api="a",
                method="POST",
                path="/echo/{id}",
                base_url=pets.url,
                parameters=params,
                body_fields=["name", "size"],
                auth=[HttpAuth(kind="bearer", credential="UNSET_TOKEN"), auth],
            )
            arguments = {"id": "a b/c", "tags": ["x", "y"], "ids": [1, 2], "flag": True, "req": "r1"}
            arguments |= {"session": "s1", "name": "Kit", "size": 3}
            result = await HttpOperationExecutor(op, clients, None).execute(invocation(arguments))
            echoed = result.result["structuredContent"]
            assert echoed["path"] == "/echo/a b/c"  # sent as /echo/a%20b%2Fc
            assert echoed["query"] == [["tags", "x"], ["tags", "y"], ["ids", "1,2"], ["flag", "true"], *query]
            assert echoed["headers"]["x-req"] == "r1"
            assert echoed["headers"]["cookie"] == "session=s1"
            assert json.loads(echoed["body"]) == {"name": "Kit", "size": 3}
            for name, value in headers.items():
                assert echoed["headers"][name] == value
            assert ("authorization" in echoed["headers"]) == bool(headers)
    finally:
        await clients.aclose()


async def test_the_configured_timeout_and_headers_apply(pets: ThreadServer) -> None:
    clients = HttpClients({})
    config = OpenApiConfig(base_url=pets.url, timeout=0.05, headers={"X-Tenant": "acme"})
    try:
        slow = HttpOperation(api="a", method="GET", path="/slow")
        with pytest.raises(ToolError, match=r"GET /slow: no answer from http://127.0.0.1:\d+ within 0.05s"):
            await HttpOperationExecutor(slow, clients, config).execute(invocation({}))
        echo = HttpOperation(api="a", method="GET", path="/echo/x")
        result = await HttpOperationExecutor(echo, clients, config).execute(invocation({}))
        assert result.result["structuredContent"]["headers"]["x-tenant"] == "acme"
        png = HttpOperation(api="a", method="GET", path="/image.png")
        image = (await HttpOperationExecutor(png, clients, config).execute(invocation({}))).result
        assert image["content"] == [{"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"}]
        with pytest.raises(ToolError, match=r"set openapi\.a\.base_url"):
            await HttpOperationExecutor(echo, clients, None).execute(invocation({}))
    finally:
        await clients.aclose()


async def test_a_cached_get_operation_reaches_the_api_once(
    workspace: tuple[Path, Manifest], pets: ThreadServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PETS_API_KEY", KEY)
    root, manifest = workspace
    caches = {"listPets": CacheConfig(ttl=60)}
    async with asgi(root, manifest, tool_caches=caches) as client:
        before = calls(pets).get("listPets", 0)
        content, headers = body("tools/call", call("listPets", {"tag": "cat"})), legacy()
        answers = [
            (await client.post("/mcp", content=content, headers=headers)).json()["result"] for _ in range(3)
        ]
        assert answers[0]["structuredContent"] == answers[2]["structuredContent"]
        assert calls(pets)["listPets"] == before + 1


async def test_config_for_an_unknown_spec_is_a_warning(
    workspace: tuple[Path, Manifest], caplog: pytest.LogCaptureFixture
) -> None:
    root, manifest = workspace
    with caplog.at_level(logging.WARNING, logger="mcpgen.runtime"):
        Registry.load(manifest, Settings.of(root, openapi={"petz": OpenApiConfig()}))
    assert "openapi.petz: no OpenAPI tools come from a spec named 'petz' (specs: pets)" in caplog.text
