"""The protocol adapter, in memory: ``Client(server)`` in both connection modes."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

from mcpgen.runtime import Registry, RuntimeState, build_server

from .conftest import fixture_files, make_manifest

pytestmark = pytest.mark.anyio

INVALID_PARAMS = -32602


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def state(tmp_path: Path) -> RuntimeState:
    manifest, settings = make_manifest(tmp_path, fixture_files(), default_timeout=5.0)
    return RuntimeState(Registry.load(manifest, settings), settings)


@pytest.fixture
def server(state: RuntimeState) -> Server[Any]:
    return build_server(state)


@pytest.fixture
async def client(server: Server[Any], mode: str) -> AsyncIterator[Client]:
    async with Client(server, mode=mode) as c:
        yield c


def text_of(result: Any) -> str:
    return "".join(block.text for block in result.content)


async def test_lists_tools_with_schemas_and_annotations(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert {"add", "shout", "point", "work", "echo_seed", "hang"} <= set(tools)
    add = tools["add"]
    assert add.description == "Add two integers."
    assert add.input_schema["required"] == ["a", "b"]
    assert add.annotations is not None
    assert add.annotations.read_only_hint is True
    assert tools["point"].output_schema is not None
    assert tools["echo_seed"].input_schema["properties"] == {"message": {"type": "string"}}


async def test_server_identity_comes_from_the_manifest(client: Client) -> None:
    assert client.server_info is not None
    assert (client.server_info.name, client.server_info.version) == ("runtime-test", "1.2.3")


async def test_calls_sync_and_async_tools(client: Client) -> None:
    result = await client.call_tool("add", {"a": 2, "b": 40})
    assert not result.is_error
    assert text_of(result) == "42"
    assert result.structured_content == {"result": 42}
    assert text_of(await client.call_tool("shout", {"text": "hi"})) == "HI"


async def test_structured_output(client: Client) -> None:
    result = await client.call_tool("point", {"x": 1, "y": 2})
    assert result.structured_content == {"x": 1, "y": 2}
    assert text_of(result) == '{"x":1,"y":2}'
    stats = await client.call_tool("stats", {"values": [1, 2.5]})
    assert stats.structured_content == {"sum": 3.5, "count": 2.0}


async def test_none_gives_empty_content_and_seed_dicts_give_json(client: Client) -> None:
    assert (await client.call_tool("nothing", {})).content == []
    seed = await client.call_tool("echo_seed", {"message": "hey"})
    assert text_of(seed) == '{"echo":"hey","length":3}'
    assert seed.structured_content is None


async def test_context_progress_and_logs_reach_the_client(server: Server[Any], mode: str) -> None:
    logs: list[Any] = []
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_log(params: Any) -> None:
        logs.append(params)

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    async with Client(server, mode=mode, logging_callback=on_log, log_level="debug") as c:
        result = await c.call_tool("work", {"steps": 2}, progress_callback=on_progress)
        threaded = await c.call_tool("sync_logger", {})
    assert text_of(result).startswith("did 2 steps (request ")
    assert "request None" not in text_of(result)
    assert text_of(threaded) == "ok"
    assert progress == [(1.0, 2.0, "step 1"), (2.0, 2.0, "step 2")]
    assert [(m.level, m.logger, m.data) for m in logs] == [
        ("info", "work", {"message": "starting", "steps": 2}),
        ("warning", "work", "done"),
        ("info", "sync_logger", "from a thread"),
    ]


async def test_credentials_only_for_declared_names(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNTIME_TEST_KEY", "declared-value")
    monkeypatch.setenv("RUNTIME_OTHER_KEY", "undeclared-value")
    assert text_of(await client.call_tool("secret_reader", {})) == "declared-value|None"


async def test_tool_error_is_an_error_result_with_its_message(client: Client) -> None:
    result = await client.call_tool("refuse", {"reason": "no way"})
    assert result.is_error
    assert text_of(result) == "refused: no way"


async def test_other_exceptions_are_generic_and_logged(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="mcpgen.runtime"):
        result = await client.call_tool("crash", {})
    assert result.is_error
    message = text_of(result)
    assert message.startswith("Tool 'crash' failed with an internal error (request id ")
    assert "hunter2" not in message
    assert "Traceback" not in message
    assert "RuntimeError" not in message
    record = next(r for r in caplog.records if r.name == "mcpgen.runtime")
    assert record.__dict__["tool"] == "crash"
    assert record.exc_info is not None
    assert "hunter2" in str(record.exc_info[1])


async def test_invalid_arguments_name_the_field_and_skip_the_call(
    client: Client, state: RuntimeState
) -> None:
    calls = state.registry.tools["add"].definition.fn.__globals__["CALLS"]
    before = calls["add"]
    with pytest.raises(MCPError) as info:
        await client.call_tool("add", {"a": "one", "b": 2})
    assert info.value.code == INVALID_PARAMS
    assert "'add'" in info.value.message
    assert "a:" in info.value.message
    assert "integer" in info.value.message
    with pytest.raises(MCPError) as missing:
        await client.call_tool("add", {"a": 1})
    assert missing.value.code == INVALID_PARAMS
    assert "b:" in missing.value.message
    assert calls["add"] == before


async def test_unknown_tool(client: Client) -> None:
    with pytest.raises(MCPError) as info:
        await client.call_tool("nope", {})
    assert info.value.code == INVALID_PARAMS
    assert info.value.message == "Unknown tool: nope"


async def test_timeout_is_an_error_result_and_the_next_call_works(client: Client) -> None:
    with anyio.fail_after(5):
        result = await client.call_tool("hang", {})
    assert result.is_error
    assert text_of(result) == "Tool 'hang' timed out after 0.5s"
    with anyio.fail_after(5):
        assert text_of(await client.call_tool("add", {"a": 1, "b": 1})) == "2"


async def test_resources_static_template_and_binary(client: Client) -> None:
    listed = {r.name: r for r in (await client.list_resources()).resources}
    assert set(listed) == {"greeting", "config", "logo"}
    templates = (await client.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == ["users://{user_id}/profile"]

    greeting = (await client.read_resource("data://greeting")).contents[0]
    assert (greeting.text, greeting.mime_type) == ("hello", "text/plain")
    config = (await client.read_resource("data://config")).contents[0]
    assert (config.text, config.mime_type) == ('{"debug":false,"level":3}', "application/json")
    logo = (await client.read_resource("data://logo")).contents[0]
    assert base64.b64decode(logo.blob) == b"\x89PNG\r\n\x00\x01"
    profile = (await client.read_resource("users://42/profile")).contents[0]
    assert profile.text == '{"id":"42","name":"user 42"}'
    with pytest.raises(MCPError) as info:
        await client.read_resource("data://missing")
    assert info.value.code == INVALID_PARAMS


async def test_prompts(client: Client) -> None:
    prompts = {p.name: p for p in (await client.list_prompts()).prompts}
    assert [(a.name, a.required) for a in prompts["review"].arguments or []] == [
        ("code", True),
        ("language", False),
    ]
    review = await client.get_prompt("review", {"code": "x = 1"})
    assert [m.role for m in review.messages] == ["user"]
    assert review.messages[0].content.text == "Please review this python code:\nx = 1"
    chat = await client.get_prompt("chat", {"topic": "tea"})
    assert [m.role for m in chat.messages] == ["user", "assistant", "user"]
    with pytest.raises(MCPError) as missing:
        await client.get_prompt("review", {})
    assert missing.value.code == INVALID_PARAMS
    assert "code" in missing.value.message
    with pytest.raises(MCPError) as unknown:
        await client.get_prompt("nope", {})
    assert unknown.value.code == INVALID_PARAMS


async def test_swap_serves_new_requests_from_the_new_registry(
    server: Server[Any], mode: str, state: RuntimeState, tmp_path: Path
) -> None:
    new_manifest, new_settings = make_manifest(
        tmp_path / "v2",
        {"only.py": "from mcpgen import tool\n\n@tool\ndef only() -> str:\n    return 'v2'\n"},
    )
    seen: list[tuple[int, int]] = []
    state.subscribe(lambda old, new: seen.append((len(old.tools), len(new.tools))))
    started = anyio.Event()

    async def on_log(params: Any) -> None:
        started.set()

    results: list[str] = []
    async with Client(server, mode=mode, logging_callback=on_log, log_level="info") as client:
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:

                async def in_flight() -> None:
                    results.append(text_of(await client.call_tool("slow_ctx", {"seconds": 0.1})))

                tg.start_soon(in_flight)
                await started.wait()  # the call is running on the old registry
                state.swap(Registry.load(new_manifest, new_settings))
        assert results == ["finished after 0.1"]
        assert seen
        assert seen[0][1] == 1
        names = [t.name for t in (await client.list_tools(cache_mode="refresh")).tools]
        assert names == ["only"]
        assert text_of(await client.call_tool("only", {})) == "v2"
