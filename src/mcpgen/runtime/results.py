"""Turn what user code returns into MCP wire results (pure functions, orjson for JSON).

Tools (``tools/call`` result):

- ``str`` → one text content block; ``None`` → no content;
- ``bytes`` → one embedded binary resource (``application/octet-stream``);
- a content helper (``Image``, ``Audio``, ``EmbeddedResource``,
  ``ResourceLink``) or an MCP content block (``mcp_types.TextContent`` ...),
  or a list mixing them with strings → those content blocks; a whole
  ``CallToolResult`` → passed through;
- anything else (dict, list, number, bool, pydantic model, dataclass) → its
  JSON as text, plus ``structuredContent`` when the tool has an output schema.

Resources: ``str`` → text, ``bytes`` → base64 blob, anything else → JSON
(``application/json``). Prompts: ``str`` → one user message; a list of
strings / ``{"role", "content"}`` dicts → messages.

Every result carries ``resultType: "complete"`` (required on 2026-07-28; the
SDK strips it for handshake-era versions).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import mcp_types
import orjson
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from mcpgen.authoring import Content
from mcpgen.runtime.registry import LoadedTool

_CONTENT_TYPES = (
    mcp_types.TextContent,
    mcp_types.ImageContent,
    mcp_types.AudioContent,
    mcp_types.ResourceLink,
    mcp_types.EmbeddedResource,
)
_ROLES = frozenset({"user", "assistant"})
_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    return to_jsonable_python(value)


def to_json(value: Any) -> str:
    """Compact JSON text for any JSON-able value (pydantic models and dataclasses included)."""
    return orjson.dumps(value, default=_default, option=_JSON_OPTIONS).decode()


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(by_alias=True, mode="json", exclude_none=True)


def _block(item: Any) -> dict[str, Any] | None:
    """The wire content block for ``item``, or ``None`` when it is not content."""
    if isinstance(item, Content):
        return item.to_wire()
    if isinstance(item, _CONTENT_TYPES):
        return _dump(item)
    return None


def content_blocks(value: Any) -> list[dict[str, Any]] | None:
    """``value`` as content blocks when it is content or a list of content and strings, else ``None``."""
    block = _block(value)
    if block is not None:
        return [block]
    if not isinstance(value, list) or not value:
        return None
    blocks = []
    has_content = False
    for item in value:
        block = _text(item) if isinstance(item, str) else _block(item)
        if block is None:
            return None
        has_content = has_content or not isinstance(item, str)
        blocks.append(block)
    return blocks if has_content else None


def tool_result(tool: LoadedTool, value: Any) -> dict[str, Any]:
    """The ``CallToolResult`` wire dict for a successful call that returned ``value``."""
    blocks = content_blocks(value)
    if blocks is not None:
        return {"resultType": "complete", "content": blocks}
    definition = tool.definition
    output = definition.output
    if output is not None and not isinstance(value, mcp_types.CallToolResult):
        structured = definition.structured(value)
        assert structured is not None
        shown = structured["result"] if output.wrap else structured
        return {"resultType": "complete", "content": [_text(to_json(shown))], "structuredContent": structured}
    if isinstance(value, str):
        return {"resultType": "complete", "content": [_text(value)]}
    if value is None:
        return {"resultType": "complete", "content": []}
    if isinstance(value, bytes | bytearray | memoryview):
        blob = base64.b64encode(bytes(value)).decode()
        uri = f"mcpgen://result/{tool.name}"
        resource = {"uri": uri, "mimeType": "application/octet-stream", "blob": blob}
        return {"resultType": "complete", "content": [{"type": "resource", "resource": resource}]}
    if isinstance(value, mcp_types.CallToolResult):
        return {"resultType": "complete", **_dump(value)}
    result: dict[str, Any] = {"resultType": "complete", "content": [_text(to_json(value))]}
    if tool.entry.output_schema is not None and definition.kind == "seed":
        result["structuredContent"] = value if isinstance(value, dict) else {"result": value}
    return result


def tool_error(message: str) -> dict[str, Any]:
    """A ``CallToolResult`` wire dict with ``isError: true`` and ``message`` as its text."""
    return {"resultType": "complete", "content": [_text(message)], "isError": True}


def resource_contents(uri: str, value: Any, mime_type: str | None) -> dict[str, Any]:
    """The ``ReadResourceResult`` wire dict for a resource function's return value."""
    item: dict[str, Any]
    if isinstance(value, Content):
        wire = value.to_wire()
        if wire.get("type") != "resource":
            raise TypeError(f"a resource cannot return {type(value).__name__}; return str, bytes or JSON")
        item = {**wire["resource"], "uri": uri}
    elif isinstance(value, str):
        item = {"uri": uri, "mimeType": mime_type or "text/plain", "text": value}
    elif isinstance(value, bytes | bytearray | memoryview):
        blob = base64.b64encode(bytes(value)).decode()
        item = {"uri": uri, "mimeType": mime_type or "application/octet-stream", "blob": blob}
    else:
        item = {"uri": uri, "mimeType": mime_type or "application/json", "text": to_json(value)}
    return {"resultType": "complete", "contents": [item]}


def _message(item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        return {"role": "user", "content": _text(item)}
    if isinstance(item, Content):
        return {"role": "user", "content": item.to_wire()}
    if isinstance(item, mcp_types.PromptMessage):
        return _dump(item)
    if isinstance(item, Mapping):
        role = item.get("role", "user")
        if role not in _ROLES:
            raise TypeError(f"prompt message role must be 'user' or 'assistant', got {role!r}")
        content = item.get("content")
        if isinstance(content, str):
            return {"role": role, "content": _text(content)}
        if isinstance(content, Content):
            return {"role": role, "content": content.to_wire()}
        if isinstance(content, BaseModel):
            return {"role": role, "content": _dump(content)}
        if isinstance(content, Mapping) and "type" in content:
            return {"role": role, "content": dict(content)}
        raise TypeError("prompt message content must be a string or a content block")
    kind = type(item).__name__
    raise TypeError(f"prompt messages must be strings or {{'role', 'content'}} dicts, got {kind}")


def prompt_result(value: Any, description: str | None) -> dict[str, Any]:
    """The ``GetPromptResult`` wire dict for a prompt function's return value."""
    if isinstance(value, str | mcp_types.PromptMessage | Mapping | Content):
        messages = [_message(value)]
    elif isinstance(value, list | tuple):
        messages = [_message(item) for item in value]
    else:
        raise TypeError(f"a prompt must return a string or a list of messages, got {type(value).__name__}")
    result: dict[str, Any] = {"resultType": "complete", "messages": messages}
    if description:
        result["description"] = description
    return result


def text_size(value: Any, limit: int) -> int:
    """About how many bytes of text ``value`` puts on the wire, counted until past ``limit``.

    Strings count their length, bytes their base64 length, containers their
    items; other scalars a few bytes. The walk stops as soon as the count
    passes ``limit`` (so a huge result costs one ``len``, not a serialization),
    and returns that count. Pydantic models and content helpers count their
    wire form.
    """
    total = 0
    stack = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, bytes | bytearray | memoryview):
            total += (len(item) + 2) // 3 * 4
        elif isinstance(item, Mapping):
            total += 2 * len(item)
            for key, child in item.items():
                total += len(key) if isinstance(key, str) else 8
                stack.append(child)
        elif isinstance(item, list | tuple):
            total += len(item)
            stack.extend(item)
        elif isinstance(item, Content):
            stack.append(item.to_wire())
        elif isinstance(item, BaseModel):
            stack.append(item.model_dump(mode="json", by_alias=True, exclude_none=True))
        else:
            total += 8
    return total
