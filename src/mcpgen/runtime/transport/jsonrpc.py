"""The JSON-RPC shape of an HTTP body, checked once before routing (both paths, every wire).

:func:`shape_error` looks at a decoded POST body and returns the
:class:`~mcpgen.runtime.pipeline.CallError` it deserves, or ``None`` when the
message is well-formed enough to route. Nothing past this point (routing,
the fast path, the SDK's pydantic models) sees a body that is

- not one JSON object (batches are not part of the wires served here), or
  nested deeper than the configured limit;
- a request without ``"jsonrpc": "2.0"``, a string ``method``, or with an
  ``id`` that is not a string or an integer (``null``, an object);
- carrying the same key twice in any object (``"name":"a","name":"b"``);
- a ``tools/call``/``prompts/get``/``resources/read`` whose ``params`` is not
  an object or whose ``name``/``uri`` is not a string.

Each answer is short and says what is wrong, without parser internals:
-32600 (invalid request) for the envelope, -32602 (invalid params) for
``params``, -32700 for a body that is not JSON.

Duplicate keys cost almost nothing to rule out: every key in the body is
followed by exactly one ``:`` outside strings, so when the body holds no more
``:`` bytes than the decoded objects hold keys, no key was repeated. Only a
body with more colons (colons inside strings, or a real duplicate) is decoded
a second time, by :mod:`json` with a hook that sees every key.
"""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types
import orjson

from mcpgen.runtime.pipeline import CallError

NOT_JSON: Any = object()
"""What the endpoint passes as the decoded body when it is not JSON at all."""
_NAMED = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
"""Methods whose ``params`` must carry this string field (the router and the pipeline read it)."""


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return found


def _measure(value: Any) -> tuple[int, int]:
    """``(keys, depth)``: how many keys the objects in ``value`` hold, and how deep it nests."""
    keys = 0
    deepest = 1
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        children = item.values() if type(item) is dict else item
        if type(item) is dict:
            keys += len(item)
        for child in children:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
    return keys, deepest


def repeated_key(body: bytes) -> str | None:
    """A key that appears twice in one object of ``body``, or ``None`` (decodes ``body`` again: call it rarely)."""
    try:
        json.loads(body, object_pairs_hook=_unique)
    except _Duplicate as exc:
        return exc.key
    except ValueError:  # orjson and json disagree on an edge (lone surrogates): nothing to add
        return None
    return None


Refusal = tuple[CallError, Any]
"""The error to answer with, and the id to answer it under (``None`` when the message has no usable id)."""


def _invalid(message: str, request_id: Any = None) -> Refusal:
    return CallError(types.INVALID_REQUEST, message), request_id


def shape_error(body: bytes, parsed: Any, *, max_depth: int) -> Refusal | None:
    """What is wrong with the JSON-RPC message ``parsed`` (decoded from ``body``), or ``None``.

    ``parsed`` is :data:`NOT_JSON` for a body that is not JSON. The answer
    goes under the message's id when it has a usable one.
    """
    if parsed is NOT_JSON:
        return CallError(types.PARSE_ERROR, "Parse error: the body is not valid JSON"), None
    if type(parsed) is not dict:
        if type(parsed) is list:
            return _invalid("Invalid request: batch arrays are not supported; send one JSON-RPC object")
        return _invalid("Invalid request: the body must be a JSON-RPC object")
    if b"\\" in body or body.count(b"{") + body.count(b"[") > max_depth:
        keys, depth = _measure(parsed)  # the exact walk: deep, or escapes that may hide a colon
        if depth > max_depth:
            return _invalid(f"Invalid request: JSON nested deeper than {max_depth} levels")
        suspect = body.count(b":") > keys
    else:
        # Without escapes every colon of the body is a key separator or inside a string, and orjson
        # writes the same strings back verbatim: a key dropped as a duplicate leaves fewer colons.
        suspect = body.count(b":") != orjson.dumps(parsed).count(b":")
    if suspect:
        repeated = repeated_key(body)
        if repeated is not None:
            return _invalid(f"Invalid request: duplicate key {repeated[:64]!r} in one JSON object")
    request_id = parsed.get("id")
    id_ok = type(request_id) is str or type(request_id) is int
    answer_id = request_id if id_ok else None
    if parsed.get("jsonrpc") != "2.0":
        return _invalid('Invalid request: "jsonrpc" must be "2.0"', answer_id)
    if "method" not in parsed:
        if "result" in parsed or "error" in parsed:
            return None if id_ok else _invalid("Invalid response: id must be a string or an integer")
        return _invalid('Invalid request: "method" is missing', answer_id)
    method = parsed["method"]
    if type(method) is not str:
        return _invalid('Invalid request: "method" must be a string', answer_id)
    if "id" in parsed and not id_ok:
        return _invalid("Invalid request: id must be a string or an integer")
    params = parsed.get("params")
    if params is not None and type(params) is not dict:
        return CallError(types.INVALID_PARAMS, "Invalid params: params must be an object"), answer_id
    field = _NAMED.get(method)
    if field is not None and (params is None or type(params.get(field)) is not str):
        message = f"Invalid params: params.{field} must be a string"
        return CallError(types.INVALID_PARAMS, message), answer_id
    return None
