"""Call a TS/JS tool through its :class:`~mcpgen.runtime.node_pool.NodePool` and shape the MCP result.

:class:`~mcpgen.runtime.node_pool.NodeBinding` is what a :class:`~mcpgen.runtime.registry.LoadedTool`
holds for a TS/JS tool (the pool and the export to call). Arguments were
validated against the input schema before they get here. The mapping:

- a return value → the same conversion as a Python seed tool (string → text,
  ``null`` → no content, anything else → its JSON as text, plus
  ``structuredContent`` with an output schema); a returned
  ``{content: [...]}`` object is passed through as the whole result;
- ``throw`` of an error named ``ValidationError`` → JSON-RPC invalid params;
  any other throw → ``isError`` with the error's message (stack in the log);
- a value that is not JSON, ``process.exit``, a crashed worker, a timeout →
  ``isError`` naming the tool and what happened.

A call whose worker is killed (another call's busy loop) runs again on another
worker when it never started there, or when the tool is annotated
``readOnlyHint`` or ``idempotentHint`` (see :mod:`mcpgen.runtime.node_pool`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import mcp_types as types
from mcp.shared.exceptions import MCPError

from mcpgen.authoring import Context, ContextBackend, LogLevel
from mcpgen.authoring.context import LOG_LEVELS
from mcpgen.common.nodejs import NodeNotFound
from mcpgen.errors import ToolTimeoutError
from mcpgen.runtime.node_pool import CallHooks, NodeBinding, NodeToolError, NodeWorkerError
from mcpgen.runtime.registry import LoadedTool
from mcpgen.runtime.results import tool_error, tool_result

logger = logging.getLogger("mcpgen.runtime")


def _passthrough(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict) or not isinstance(value.get("content"), list):
        return None
    content = value["content"]
    if not all(isinstance(c, dict) and isinstance(c.get("type"), str) for c in content):
        return None
    result: dict[str, Any] = {"resultType": "complete", "content": content}
    if isinstance(value.get("structuredContent"), dict):
        result["structuredContent"] = value["structuredContent"]
    if value.get("isError") is True:
        result["isError"] = True
    return result


async def call_node_tool(
    tool: LoadedTool,
    arguments: Mapping[str, Any],
    backend: ContextBackend,
    request_id: Any,
    connectors: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run ``tool`` in its pool; ``connectors`` is what ``ctx.connector()`` may hand out
    (:func:`~mcpgen.runtime.node_connectors.node_connector_states`)."""
    binding = tool.node
    assert isinstance(binding, NodeBinding)
    name = tool.name
    context = Context(backend, tool=name)

    def log(level: str, message: str, data: dict[str, Any] | None) -> None:
        lvl: LogLevel = level if level in LOG_LEVELS else "info"
        context.log(lvl, message, **(data if isinstance(data, dict) else {}))

    params = {
        "path": binding.path,
        "attribute": binding.attribute,
        "kind": binding.kind,
        "tool": name,
        "arguments": dict(arguments),
        "config": dict(binding.config),
        "credentials": {c: os.environ[c] for c in tool.credentials if c in os.environ},
        "requestId": None if request_id is None else str(request_id),
        "connectors": dict(connectors) if connectors is not None else {"connected": [], "unavailable": {}},
    }
    hints = tool.entry.annotations or {}
    hooks = CallHooks(
        log=log,
        progress=context.report_progress,
        tool=name,
        request_id=request_id,
        idempotent=hints.get("readOnlyHint") is True or hints.get("idempotentHint") is True,
    )
    extra = {"tool": name, "request_id": request_id}
    try:
        value = await binding.pool.call(params, time_limit=tool.timeout, hooks=hooks)
        result = _passthrough(value) or tool_result(tool, value)
    except NodeToolError as exc:
        if exc.kind == "validation":
            raise MCPError(
                code=types.INVALID_PARAMS, message=f"Invalid arguments for tool '{name}': {exc.message}"
            ) from None
        if exc.kind == "error":
            logger.info("tool threw: %s", exc.stack or exc.message, extra=extra)
            result = tool_error(exc.message)
        else:
            logger.warning("tool failed: %s", exc.message, extra=extra)
            result = tool_error(f"Tool '{name}' failed: {exc.message}")
    except ToolTimeoutError as exc:
        logger.warning("tool timed out after %gs; cancelled in the worker", exc.timeout, extra=extra)
        result = tool_error(f"Tool '{name}' timed out after {exc.timeout:g}s")
    except (NodeWorkerError, NodeNotFound) as exc:
        logger.error("tool failed: %s", exc, extra=extra)
        result = tool_error(f"Tool '{name}' failed: {exc}")
    await context.flush()
    return result
