"""Assertions for MCP answers: a tool call that worked, one that failed, a schema that did not change.

They take what the official SDK client returns (``CallToolResult``, ``ListToolsResult``) or the plain
JSON-RPC ``result`` dict of a raw HTTP call, and fail with a message that shows what came back.

- :func:`assert_tool_ok` — not an error; optionally the text equals / contains, the structured
  content equals. Returns the text.
- :func:`assert_tool_error` — the call failed: with a result, ``isError: true`` and (optionally) the
  message; without one, a context manager expecting the JSON-RPC error the client raises
  (``code=-32602``, ``message=...``).
- :func:`assert_schema_snapshot` — the tools' (or one tool's) input/output schemas, annotations and
  descriptions equal a JSON snapshot file; a missing file is written, and ``--mcp-update-snapshots``
  (or ``MCPGEN_UPDATE_SNAPSHOTS=1``) rewrites it instead of comparing.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["assert_schema_snapshot", "assert_tool_error", "assert_tool_ok", "tool_text"]

UPDATE_ENV = "MCPGEN_UPDATE_SNAPSHOTS"
"""Set to 1 to rewrite snapshot files instead of comparing (what ``--mcp-update-snapshots`` sets)."""


def _plain(value: Any) -> Any:
    """A result as wire JSON (SDK models dumped by alias, without the Nones)."""
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return dump(by_alias=True, exclude_none=True, mode="json")
    return value


def tool_text(result: Any) -> str:
    """The text blocks of a tool result, joined (non-text blocks are skipped)."""
    data = _plain(result)
    blocks = data.get("content", []) if isinstance(data, Mapping) else []
    return "".join(b.get("text", "") for b in blocks if isinstance(b, Mapping) and b.get("type") == "text")


def _show(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def assert_tool_ok(
    result: Any,
    *,
    text: str | None = None,
    contains: str | None = None,
    structured: Any = None,
) -> str:
    """``result`` is a successful tool result; check ``text`` (equal), ``contains``, ``structured``; return the text."""
    __tracebackhide__ = True
    data = _plain(result)
    if not isinstance(data, Mapping) or "content" not in data:
        raise AssertionError(f"not a tool result (no content):\n{_show(data)}")
    got = tool_text(data)
    if data.get("isError"):
        raise AssertionError(f"the tool failed: {got!r}\n{_show(data)}")
    if text is not None and got != text:
        raise AssertionError(f"tool text {got!r} != expected {text!r}")
    if contains is not None and contains not in got:
        raise AssertionError(f"tool text {got!r} does not contain {contains!r}")
    if structured is not None and data.get("structuredContent") != structured:
        raise AssertionError(
            f"structured content differs:\n{_show(data.get('structuredContent'))}\n!= expected\n{_show(structured)}"
        )
    return got


@contextmanager
def _raises_jsonrpc_error(code: int | None, message: str | None) -> Iterator[None]:
    __tracebackhide__ = True
    from mcp.shared.exceptions import MCPError

    try:
        yield
    except MCPError as exc:
        if code is not None and exc.code != code:
            raise AssertionError(
                f"JSON-RPC error code {exc.code} != expected {code} ({exc.message!r})"
            ) from exc
        if message is not None and message not in exc.message:
            raise AssertionError(
                f"JSON-RPC error message {exc.message!r} does not contain {message!r}"
            ) from exc
        return
    expected = " ".join(p for p in (f"code {code}" if code is not None else "", repr(message or "")) if p)
    raise AssertionError(f"expected a JSON-RPC error ({expected}), but the call succeeded")


def assert_tool_error(result: Any = None, *, code: int | None = None, message: str | None = None) -> Any:
    """The call failed as expected.

    With ``result``: a tool result with ``isError: true`` whose text contains ``message``; returns the
    text. Without: a context manager around the call, expecting the JSON-RPC error (``MCPError``) the
    SDK client raises, with ``code`` and a message containing ``message``::

        assert_tool_error(await client.call_tool("greet", {"name": ""}), message="must not be empty")
        with assert_tool_error(code=-32602, message="name"):
            await client.call_tool("greet", {})
    """
    __tracebackhide__ = True
    if result is None:
        return _raises_jsonrpc_error(code, message)
    data = _plain(result)
    if not isinstance(data, Mapping):
        raise AssertionError(f"not a tool result:\n{_show(data)}")
    if "error" in data and "content" not in data:  # a raw JSON-RPC answer
        error = data["error"]
        if code is not None and error.get("code") != code:
            raise AssertionError(
                f"JSON-RPC error code {error.get('code')} != expected {code}:\n{_show(error)}"
            )
        if message is not None and message not in str(error.get("message", "")):
            raise AssertionError(f"JSON-RPC error message does not contain {message!r}:\n{_show(error)}")
        return str(error.get("message", ""))
    data = data.get("result", data)
    got = tool_text(data)
    if not data.get("isError"):
        raise AssertionError(f"expected the tool to fail, but it returned {got!r}")
    if code is not None:
        raise AssertionError(
            f"the tool failed with isError ({got!r}), which has no JSON-RPC code; "
            f"use `with assert_tool_error(code={code}):` around the call for protocol errors"
        )
    if message is not None and message not in got:
        raise AssertionError(f"tool error {got!r} does not contain {message!r}")
    return got


# -- schema snapshots --------------------------------------------------------------------------------

_SCHEMA_KEYS = ("name", "title", "description", "inputSchema", "outputSchema", "annotations")


def schema_of(tools: Any, name: str | None = None) -> Any:
    """The schema-relevant part of a ``tools/list`` answer (or one tool of it), sorted by name."""
    data = _plain(tools)
    items = data.get("tools", data) if isinstance(data, Mapping) else data
    items = [_plain(t) for t in items]
    picked = {t["name"]: {k: t[k] for k in _SCHEMA_KEYS if k in t} for t in items}
    if name is not None:
        if name not in picked:
            raise AssertionError(f"no tool {name!r} in the listing (tools: {', '.join(sorted(picked))})")
        return picked[name]
    return [picked[n] for n in sorted(picked)]


def updating_snapshots() -> bool:
    return os.environ.get(UPDATE_ENV, "") not in ("", "0")


def assert_schema_snapshot(tools: Any, path: Path | str, *, tool: str | None = None) -> None:
    """The listing's schemas equal the JSON in ``path``; a missing file (or update mode) writes it.

    ``tools`` is ``await client.list_tools()`` (or its dict); ``tool`` narrows it to one tool.
    """
    __tracebackhide__ = True
    path = Path(path)
    current = schema_of(tools, tool)
    text = json.dumps(current, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if updating_snapshots() or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    stored = path.read_text(encoding="utf-8")
    try:
        same = json.loads(stored) == current
    except ValueError as exc:
        raise AssertionError(f"{path} is not JSON ({exc}); rewrite it with --mcp-update-snapshots") from exc
    if not same:
        diff = difflib.unified_diff(stored.splitlines(), text.splitlines(), str(path), "current", lineterm="")
        raise AssertionError(
            f"the schema changed from the snapshot {path} (if intended: pytest --mcp-update-snapshots):\n"
            + "\n".join(diff)
        )
