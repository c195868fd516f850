"""The full protocol surface through a real server process and the official SDK client, on both wires.

``mode="auto"`` clients speak 2026-07-28 (asks become InputRequiredResult
rounds, which the SDK client answers and retries); ``mode="legacy"`` clients
speak 2025-11-25 (asks are back-channel requests on the session).
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import mcp_types as types
import orjson
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from .conftest import RunningServer, fixture_files, make_manifest, start_server

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.integration,
    pytest.mark.xdist_group("runtime-surface"),  # the module's three servers, started once
]
WIRES = ["auto", "legacy"]
HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


@pytest.fixture(scope="module", params=["auto", "stateful"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """The surface fixture workspace, served in protocol mode ``auto`` (the default) and ``stateful``."""
    tmp_path = tmp_path_factory.mktemp(f"surface-{request.param}")
    make_manifest(tmp_path, fixture_files("surface"))
    running = start_server(tmp_path, "--protocol-mode", request.param)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def stateless_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tmp_path = tmp_path_factory.mktemp("surface-stateless")
    make_manifest(tmp_path, fixture_files("surface"))
    running = start_server(tmp_path, "--protocol-mode", "stateless")
    try:
        yield running
    finally:
        running.stop()


class Answers:
    """The client side: records what the server asked and answers it."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def elicit(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.asked.append(f"elicit:{params.message}")
        if params.message == "Which coffee?":
            return types.ElicitResult(action="accept", content={"size": "large", "quantity": 2})
        if params.message == "Name?":
            return types.ElicitResult(action="accept", content={"name": "Ada"})
        return types.ElicitResult(action="decline")

    async def sample(
        self, context: Any, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult:
        self.asked.append(f"sample:{params.messages[0].content.text}")  # type: ignore[union-attr]
        text = types.TextContent(type="text", text="quiet pond")
        return types.CreateMessageResult(role="assistant", content=text, model="test-llm")

    async def roots(self, context: Any) -> types.ListRootsResult:
        self.asked.append("roots")
        return types.ListRootsResult(roots=[types.Root(uri="file:///work", name="work")])

    def client(self, url: str, mode: str, **extra: Any) -> Client:
        return Client(
            url,
            mode=mode,  # type: ignore[arg-type]
            elicitation_callback=self.elicit,
            sampling_callback=self.sample,
            list_roots_callback=self.roots,
            **extra,
        )


def protocol_mode(server: RunningServer) -> str:
    """The mode a ``server`` fixture runs in (its temp directory is named after it)."""
    return server.stderr_path.parent.name.split("-")[1].rstrip("0123456789")


def text_of(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


@pytest.mark.parametrize("wire", WIRES)
async def test_elicit_with_a_model_and_progress(server: RunningServer, wire: str) -> None:
    answers, progress = Answers(), []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    with anyio.fail_after(20):
        async with answers.client(server.mcp_url, wire) as client:
            result = await client.call_tool("order_coffee", {}, progress_callback=on_progress)
    assert text_of(result) == "ordered 2 x large"
    assert answers.asked == ["elicit:Which coffee?"]
    assert (3.0, 3.0, "done") in progress


@pytest.mark.parametrize("wire", WIRES)
async def test_sample_and_concurrent_asks_in_rounds(server: RunningServer, wire: str) -> None:
    answers = Answers()
    with anyio.fail_after(20):
        async with answers.client(server.mcp_url, wire) as client:
            haiku = await client.call_tool("haiku", {"topic": "frogs"})
            everything = await client.call_tool("everything", {})
    assert text_of(haiku) == "test-llm: quiet pond"
    assert text_of(everything) == "Ada|quiet pond|file:///work|decline"
    assert "sample:Write a haiku about frogs" in answers.asked
    assert {"elicit:Name?", "sample:A word, please", "roots", "elicit:Sure?"} <= set(answers.asked)


async def test_2026_client_without_the_capability_gets_32021(server: RunningServer) -> None:
    with anyio.fail_after(20):
        async with Client(server.mcp_url, mode="auto") as client:
            with pytest.raises(MCPError) as raised:
                await client.call_tool("haiku", {"topic": "frogs"})
            assert raised.value.error.code == types.MISSING_REQUIRED_CLIENT_CAPABILITY
            assert raised.value.error.data == {"requiredCapabilities": {"sampling": {}}}
            # A tool that checks first falls back instead of failing.
            assert text_of(await client.call_tool("polite", {})) == "no elicitation: using defaults"


async def test_legacy_client_without_the_capability_gets_an_error_result(server: RunningServer) -> None:
    with anyio.fail_after(20):
        async with Client(server.mcp_url, mode="legacy") as client:
            result = await client.call_tool("haiku", {"topic": "frogs"})
    assert result.is_error
    assert "'sampling' capability" in text_of(result)


async def test_stateless_mode_fails_asks_clearly_on_the_old_wire_and_serves_2026(
    stateless_server: RunningServer,
) -> None:
    answers = Answers()
    with anyio.fail_after(20):
        async with answers.client(stateless_server.mcp_url, "legacy") as client:
            result = await client.call_tool("order_coffee", {})
            assert result.is_error
            assert "back channel" in text_of(result)
            assert text_of(await client.call_tool("plain", {"text": "abc"})) == "cba"
        async with answers.client(stateless_server.mcp_url, "auto") as client:
            assert text_of(await client.call_tool("order_coffee", {})) == "ordered 2 x large"
    assert answers.asked == ["elicit:Which coffee?"]


async def test_tampered_request_state_is_rejected(server: RunningServer) -> None:
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}},
    }
    headers = {
        **HEADERS,
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": "order_coffee",
    }

    def call(params: dict[str, Any]) -> dict[str, Any]:
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "order_coffee", **params},
        }
        response = httpx2.post(server.mcp_url, content=orjson.dumps(body), headers=headers, timeout=10)
        lines = [x[5:] for x in response.text.splitlines() if x.startswith("data:")]
        message: dict[str, Any] = orjson.loads(lines[-1]) if lines else response.json()
        return message

    first = call({"arguments": {}, "_meta": meta})["result"]
    assert first["resultType"] == "input_required"
    assert list(first["inputRequests"]) == ["elicitation-1"]
    state = first["requestState"]
    assert "elicitation" not in state, "requestState is sealed, not readable"
    answer = {"elicitation-1": {"action": "accept", "content": {"size": "small"}}}
    tampered = state[:-4] + ("AAAA" if not state.endswith("AAAA") else "BBBB")
    rejected = call({"arguments": {}, "_meta": meta, "inputResponses": answer, "requestState": tampered})
    assert rejected["error"]["code"] == types.INVALID_PARAMS
    done = call({"arguments": {}, "_meta": meta, "inputResponses": answer, "requestState": state})
    assert done["result"]["content"][0]["text"] == "ordered 1 x small"


@pytest.mark.parametrize("wire", WIRES)
async def test_content_helpers_schema_override_and_completions(server: RunningServer, wire: str) -> None:
    with anyio.fail_after(20):
        async with Client(server.mcp_url, mode=wire) as client:  # type: ignore[arg-type]
            gallery = await client.call_tool("gallery", {})
            assert [b.type for b in gallery.content] == [
                "text",
                "image",
                "audio",
                "resource",
                "resource_link",
            ]
            assert gallery.content[1].mime_type == "image/png"  # type: ignore[union-attr]
            assert text_of(await client.call_tool("countdown", {"n": 3})) == "3 2 1"
            with pytest.raises(MCPError, match="minimum"):
                await client.call_tool("countdown", {"n": 0})
            template = types.ResourceTemplateReference(type="ref/resource", uri="note://{id}")
            assert (await client.complete(template, {"name": "id", "value": "1"})).completion.values == [
                "1",
                "10",
            ]
            travel = types.PromptReference(type="ref/prompt", name="travel")
            cities = await client.complete(travel, {"name": "city", "value": "p"}, {"country": "fr"})
            assert cities.completion.values == ["paris", "pau"]
            prompt = await client.get_prompt("travel", {"country": "fr", "city": "pau"})
            assert [m.content.type for m in prompt.messages] == ["text", "image"]


@pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")
async def test_legacy_subscription_gets_resource_updates(server: RunningServer) -> None:
    updated = anyio.Event()
    seen: list[str] = []

    async def on_message(message: Any) -> None:
        root = getattr(message, "root", message)
        if isinstance(root, types.ResourceUpdatedNotification):
            seen.append(str(root.params.uri))
            updated.set()

    with anyio.fail_after(20):
        async with Client(server.mcp_url, mode="legacy", message_handler=on_message) as client:
            await client.subscribe_resource("note://7")
            await client.call_tool("touch", {"uri": "note://7"})
            await updated.wait()
            await client.unsubscribe_resource("note://7")
    assert seen == ["note://7"]


async def test_plain_calls_answer_json_and_streaming_calls_sse(server: RunningServer) -> None:
    def post(method: str, params: dict[str, Any], **headers: str) -> httpx2.Response:
        body = orjson.dumps({"jsonrpc": "2.0", "id": 7, "method": method, "params": params})
        return httpx2.post(server.mcp_url, content=body, headers={**HEADERS, **headers}, timeout=10)

    init = post(
        "initialize",
        {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}},
    )
    session = init.headers.get("mcp-session-id")
    assert session, "2025-11-25 clients get a session in auto and stateful mode"
    legacy = {"mcp-protocol-version": "2025-11-25", "mcp-session-id": session}
    post("notifications/initialized", {}, **legacy)
    plain = post("tools/call", {"name": "plain", "arguments": {"text": "ab"}}, **legacy)
    streamed = post(
        "tools/call", {"name": "chatty", "arguments": {}, "_meta": {"progressToken": 1}}, **legacy
    )
    assert streamed.headers["content-type"].startswith("text/event-stream")
    assert "notifications/message" in streamed.text
    if protocol_mode(server) == "auto":
        assert plain.headers["content-type"].startswith("application/json"), (
            "auto: plain calls skip the session"
        )
    else:
        assert plain.headers["content-type"].startswith("text/event-stream"), (
            "stateful: all through the session"
        )
    assert "ba" in plain.text
    # Mcp-* header values are taken without surrounding whitespace; an ended session is gone (404).
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    body = orjson.dumps({"jsonrpc": "2.0", "id": 8, "method": "tools/list", "params": {"_meta": meta}})
    spaced = {**HEADERS, "mcp-protocol-version": "2026-07-28", "mcp-method": "  tools/list  "}
    connection.request("POST", "/mcp", body=body, headers=spaced)  # httpx refuses such values
    answer = connection.getresponse()
    assert answer.status == 200, answer.read()
    connection.close()
    assert httpx2.delete(server.mcp_url, headers=legacy, timeout=10).status_code in (200, 204)
    assert post("tools/list", {}, **legacy).status_code == 404
