"""TS/JS user code: a call sent to the tool's :class:`~mcpgen.runtime.node_pool.NodePool`.

What the handler's outcome becomes:

- a return value → the value (converted like a Python seed tool's); a
  returned ``{content: [...]}`` object → :class:`Passthrough`, the whole result;
- ``throw`` of an error named ``ValidationError`` → :class:`InvalidArguments`;
  any other throw → :class:`~mcpgen.authoring.ToolError` with the error's
  message (its stack in the log);
- a value that is not JSON, ``process.exit``, a crashed worker, no Node →
  :class:`~mcpgen.authoring.ToolError` naming the tool and what happened.

The pipeline enforces the time limit; the pool also gets it, so it can cancel
the handler inside the worker (``ctx.signal``). A call whose worker is killed
(another call's busy loop) runs again on a healthy worker when it never
started there, or when the tool is annotated ``readOnlyHint`` or
``idempotentHint`` (see :mod:`mcpgen.runtime.node_pool`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from mcpgen.authoring import LogLevel, ToolError
from mcpgen.authoring.context import LOG_LEVELS
from mcpgen.common.nodejs import NodeNotFound
from mcpgen.runtime.connectors.node import node_connector_states
from mcpgen.runtime.executors.base import InvalidArguments, Invocation, Passthrough
from mcpgen.runtime.node_pool import CallHooks, NodeBinding, NodeToolError, NodeWorkerError
from mcpgen.runtime.telemetry.context import CURRENT, TRACER, incoming_traceparent

logger = logging.getLogger("mcpgen.runtime")
_NO_CONNECTORS: Mapping[str, Any] = {"connected": [], "unavailable": {}}


def _passthrough(value: Any) -> Passthrough | None:
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
    return Passthrough(result)


class NodeExecutor:
    """Runs one TS/JS export in the Node worker pool."""

    __slots__ = ("_binding", "_credentials", "_idempotent")

    def __init__(
        self,
        binding: NodeBinding,
        credentials: frozenset[str],
        annotations: Mapping[str, Any] | None = None,
    ) -> None:
        self._binding = binding
        self._credentials = credentials
        hints = annotations or {}
        self._idempotent = hints.get("readOnlyHint") is True or hints.get("idempotentHint") is True
        """Running a call twice is harmless: one that started on a worker killed for another call's
        busy loop runs again on a healthy worker (see :mod:`mcpgen.runtime.node_pool`)."""

    @property
    def binding(self) -> NodeBinding:
        return self._binding

    async def execute(self, invocation: Invocation) -> Any:
        binding, name, context = self._binding, invocation.name, invocation.context
        request_id = invocation.request_id

        def log(level: str, message: str, data: dict[str, Any] | None) -> None:
            lvl: LogLevel = level if level in LOG_LEVELS else "info"
            context.log(lvl, message, **(data if isinstance(data, dict) else {}))

        hub = invocation.hub
        params = {
            "path": binding.path,
            "attribute": binding.attribute,
            "kind": binding.kind,
            "tool": name,
            "arguments": dict(invocation.arguments),
            "config": dict(binding.config),
            "credentials": {c: os.environ[c] for c in self._credentials if c in os.environ},
            "requestId": None if request_id is None else str(request_id),
            "connectors": node_connector_states(hub) if hub is not None else _NO_CONNECTORS,
        }
        hooks = CallHooks(
            log=log,
            progress=context.report_progress,
            tool=name,
            request_id=request_id,
            idempotent=self._idempotent,
        )
        extra = {"tool": name, "request_id": request_id}
        try:
            tracer = TRACER.get()
            if tracer is None:
                call = CURRENT.get()
                traceparent = incoming_traceparent(call.meta, call.headers) if call is not None else None
                if traceparent is not None:  # tracing off here: hand on what the client sent
                    params["traceparent"] = traceparent
                value = await binding.pool.call(params, time_limit=invocation.time_limit, hooks=hooks)
            else:
                with tracer.start_as_current_span(
                    f"node {name}", attributes={"mcpgen.node.path": binding.path}
                ):
                    from mcpgen.runtime.telemetry.tracing import outgoing_traceparent  # tracing is on

                    params.update(outgoing_traceparent())
                    value = await binding.pool.call(params, time_limit=invocation.time_limit, hooks=hooks)
        except NodeToolError as exc:
            if exc.kind == "validation":
                raise InvalidArguments(exc.message) from None
            if exc.kind == "error":
                logger.info("tool threw: %s", exc.stack or exc.message, extra=extra)
                raise ToolError(exc.message) from None
            logger.warning("tool failed: %s", exc.message, extra=extra)
            raise ToolError(f"Tool '{name}' failed: {exc.message}") from None
        except (NodeWorkerError, NodeNotFound) as exc:
            logger.error("tool failed: %s", exc, extra=extra)
            raise ToolError(f"Tool '{name}' failed: {exc}") from None
        return _passthrough(value) or value
