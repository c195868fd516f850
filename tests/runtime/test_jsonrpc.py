"""Malformed JSON-RPC is answered before routing, the same on both paths and both wires.

Each body here once got a wrong answer: a plain-text 500 (a ``params.name``
that is not a string reached the router), a 202 that dropped the request (a
``null`` or object id), pydantic's validation dump (``jsonrpc`` 1.0, no
method, a batch on 2025-11-25), or the wrong tool run (a repeated ``name``:
the last one won).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from mcpgen.runtime.transport.jsonrpc import NOT_JSON, shape_error

from .conftest import fixture_files
from .test_fastpath import body, call, compare, legacy, modern, pair, served

pytestmark = pytest.mark.anyio

SHAPES: list[tuple[bytes, int, Any, str]] = [
    # (body, JSON-RPC code, id answered under, words the message must hold)
    (b"[]", -32600, None, "batch"),
    (orjson.dumps([{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}]), -32600, None, "batch"),
    (b"5", -32600, None, "JSON-RPC object"),
    (b'{"jsonrpc": "2.0", "id": 1, "method": ', -32700, None, "not valid JSON"),
    (orjson.dumps({"jsonrpc": "1.0", "id": 1, "method": "tools/list"}), -32600, 1, '"jsonrpc"'),
    (orjson.dumps({"id": 1, "method": "tools/list"}), -32600, 1, '"jsonrpc"'),
    (orjson.dumps({"jsonrpc": "2.0", "id": 1}), -32600, 1, '"method" is missing'),
    (orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": 5}), -32600, 1, '"method" must be a string'),
    (orjson.dumps({"jsonrpc": "2.0", "id": None, "method": "tools/list"}), -32600, None, "id must be"),
    (orjson.dumps({"jsonrpc": "2.0", "id": {"a": 1}, "method": "tools/list"}), -32600, None, "id must be"),
    (orjson.dumps({"jsonrpc": "2.0", "id": 1.5, "method": "tools/list"}), -32600, None, "id must be"),
    (orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": [1]}), -32602, 1, "object"),
    (orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call"}), -32602, 1, "params.name"),
    (body("tools/call", {"name": ["add"]}, id=3), -32602, 3, "params.name must be a string"),
    (body("tools/call", {"name": {"a": 1}}, id=3), -32602, 3, "params.name must be a string"),
    (body("prompts/get", {"name": ["review"]}, id=3), -32602, 3, "params.name must be a string"),
    (body("resources/read", {"uri": 5}, id="x"), -32602, "x", "params.uri must be a string"),
    (
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call",'
        b'"params":{"name":"add","name":"shout","arguments":{"text":"x"}}}',
        -32600,
        None,
        "duplicate key 'name'",
    ),
    (
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call",'
        b'"params":{"name":"add","arguments":{"a":1,"b":2,"a":3}}}',
        -32600,
        None,
        "duplicate key 'a'",
    ),
    (  # an escaped colon (\u003a) must not make up for the colon the dropped duplicate took away
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call",'
        b'"params":{"name":"add","name":"shout","arguments":{"text":"\\u003a"}}}',
        -32600,
        None,
        "duplicate key 'name'",
    ),
    (
        b'{"jsonrpc":"2.0","id":1,"method":"tools/list","params":' + b'{"x":' * 70 + b"1" + b"}" * 71,
        -32600,
        None,
        "nested deeper than 64",
    ),
]


@pytest.mark.parametrize(("content", "code", "request_id", "words"), SHAPES)
async def test_malformed_messages_get_a_short_json_rpc_error_on_both_paths(
    tmp_path: Path, content: bytes, code: int, request_id: Any, words: str
) -> None:
    async with pair(tmp_path, fixture_files("basic")) as (fast, sdk):
        for is_modern, headers in ((False, legacy()), (True, modern("tools/call", "add"))):
            status, kind, answer = await compare(fast, sdk, content, headers)
            assert kind == "application/json"
            assert answer["id"] == request_id
            error = answer["error"]
            assert error["code"] == code
            assert words in error["message"]
            assert len(error["message"]) < 120
            assert "validation error" not in error["message"].lower()
            assert "data" not in error
            assert status == (400 if request_id is None or is_modern else 200)
        assert served(fast) == {"fast": 0, "sdk": 0}  # answered before either path


async def test_a_repeated_key_never_runs_a_tool(tmp_path: Path) -> None:
    content = (
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call",'
        b'"params":{"name":"add","arguments":{"a":1,"b":2},"name":"crash"}}'
    )
    async with pair(tmp_path, fixture_files("basic")) as (fast, _):
        response = await fast.post("/mcp", content=content, headers=legacy())
    assert response.status_code == 400
    assert "result" not in response.json()


async def test_colons_in_strings_are_not_duplicates(tmp_path: Path) -> None:
    """A body with more ``:`` than keys takes the careful look, and passes it."""
    arguments = {"text": 'a:b:c  http://x.example:80/ {"k": 1}'}
    async with pair(tmp_path, fixture_files("basic")) as (fast, sdk):
        for content, headers in (
            (body("tools/call", call("shout", arguments)), legacy()),
            (body("resources/read", {"uri": "data://greeting"}), legacy()),
        ):
            status, _, answer = await compare(fast, sdk, content, headers)
            assert status == 200
            assert "result" in answer
        assert served(fast)["fast"] == 2


def test_shape_checks_pass_plain_messages_and_responses() -> None:
    for message in (
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": "r", "result": {}},
        {"jsonrpc": "2.0", "id": 2, "error": {"code": 1, "message": "m"}},
    ):
        assert shape_error(orjson.dumps(message), message, max_depth=64) is None
    assert shape_error(b"x", NOT_JSON, max_depth=64) is not None
    deep: Any = 1
    for _ in range(10):
        deep = [deep]
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"x": deep}}
    assert shape_error(orjson.dumps(message), message, max_depth=12) is None
    refused = shape_error(orjson.dumps(message), message, max_depth=11)
    assert refused is not None
    assert refused[0].code == -32600
