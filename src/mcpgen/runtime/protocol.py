"""The protocol adapter: the only module that wires the SDK's low-level ``Server`` to our registry.

``build_server(state)`` returns an ``mcp.server.lowlevel.Server`` whose
handlers read ``state.registry`` once per request (so a swapped registry
serves new requests while in-flight ones finish on the old one):

- ``tools/call``: unknown tool → JSON-RPC -32602 ``Unknown tool: NAME``;
  arguments checked with the tool's precompiled Draft 2020-12 validator
  (invalid → -32602 naming the field path; the tool is not called);
  coercion into the annotated types (a ``ValueError`` → -32602); run on the
  executor with the tool's timeout; the return value converted by
  :mod:`mcpgen.runtime.results`. ``ToolError`` → ``isError`` with its
  message; a timeout → ``isError`` ``Tool 'x' timed out after Ns``; any
  other exception → ``isError`` with a generic message carrying the request
  id, the traceback only in the server log.
- ``resources/*`` and ``prompts/*`` likewise; their failures are JSON-RPC
  errors (there is no ``isError`` for them).

Handlers return plain wire dicts (the SDK validates them against the
negotiated protocol version), and listings are precomputed per registry,
which keeps the hot path free of per-call model building.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import mcp_types as types
from mcp.server.connection import allowed_log_levels
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

from mcpgen.authoring import Context, LogLevel, ToolError
from mcpgen.errors import ToolTimeoutError
from mcpgen.runtime.node_tools import call_node_tool
from mcpgen.runtime.results import prompt_result, resource_contents, tool_error, tool_result
from mcpgen.runtime.state import RuntimeState

logger = logging.getLogger("mcpgen.runtime")
Ctx = ServerRequestContext[Any, Any]
_UNCACHED = {"ttlMs": 0, "cacheScope": "private", "resultType": "complete"}
"""2026-07-28 caching directives for cacheable results (lists, reads): immediately stale, not shared."""
_NO_CONTEXT = Context()
"""Passed to ``call_arguments`` for tools that take no Context (it is never injected)."""


class RequestBackend:
    """The :class:`~mcpgen.authoring.ContextBackend` of one request, on top of the SDK request context.

    Logs become ``notifications/message`` (only the levels the client opted
    in to on 2026-07-28; every level on handshake-era connections), progress
    goes to the caller's progress token, and credentials come from
    ``os.environ`` -- only the names the tool declared.
    """

    __slots__ = ("_allowed", "_credentials", "_ctx", "_name")

    def __init__(self, ctx: Ctx, name: str, credentials: frozenset[str]) -> None:
        self._ctx = ctx
        self._name = name
        self._credentials = credentials
        self._allowed: frozenset[str] | None = None

    def log_enabled(self, level: LogLevel) -> bool:
        allowed = self._allowed
        if allowed is None:
            ctx = self._ctx
            allowed = self._allowed = frozenset(allowed_log_levels(ctx.protocol_version, ctx.meta))
        return level in allowed

    @property
    def request_id(self) -> str | None:
        rid = self._ctx.request_id
        return None if rid is None else str(rid)

    async def send_log(self, level: LogLevel, message: str, data: dict[str, Any] | None) -> None:
        ctx = self._ctx
        if not self.log_enabled(level):
            return
        payload: Any = {"message": message, **data} if data else message
        try:
            notification = types.LoggingMessageNotification(
                params=types.LoggingMessageNotificationParams(level=level, data=payload, logger=self._name)
            )
            await ctx.session.send_notification(notification, related_request_id=ctx.request_id)
        except Exception:  # a lost log line must never fail the call
            logger.debug("log notification not delivered", exc_info=True, extra={"tool": self._name})

    async def report_progress(self, progress: float, total: float | None, message: str | None) -> None:
        try:
            await self._ctx.session.report_progress(progress, total, message)
        except Exception:
            logger.debug("progress notification not delivered", exc_info=True, extra={"tool": self._name})

    def credential(self, name: str) -> str | None:
        if name not in self._credentials:
            extra = {"tool": self._name}
            logger.warning(
                "credential %s is not declared by this tool; declare it to read it", name, extra=extra
            )
            return None
        return os.environ.get(name)


def _invalid(message: str) -> MCPError:
    return MCPError(code=types.INVALID_PARAMS, message=message)


def _internal(what: str, request_id: Any) -> MCPError:
    message = f"{what} failed with an internal error (request id {request_id})"
    return MCPError(code=types.INTERNAL_ERROR, message=message)


class Handlers:
    """The request handlers, bound to one :class:`RuntimeState`."""

    def __init__(self, state: RuntimeState) -> None:
        self._state = state

    def input_schema(self, name: str) -> dict[str, Any] | None:
        return self._state.registry.input_schema(name)

    # tools -----------------------------------------------------------------

    async def list_tools(self, ctx: Ctx, params: types.PaginatedRequestParams) -> dict[str, Any]:
        return {**_UNCACHED, "tools": list(self._state.registry.tool_listing)}

    async def call_tool(self, ctx: Ctx, params: types.CallToolRequestParams) -> dict[str, Any]:
        tool = self._state.registry.tools.get(params.name)
        if tool is None:
            raise _invalid(f"Unknown tool: {params.name}")
        arguments = params.arguments if params.arguments is not None else {}
        problems = tool.argument_errors(arguments)
        if problems:
            detail = "; ".join(f"{field}: {problem}" for field, problem in problems)
            raise _invalid(f"Invalid arguments for tool '{tool.name}': {detail}")
        if tool.node is not None:  # TS/JS: runs in the Node worker pool
            backend = RequestBackend(ctx, tool.name, tool.credentials)
            return await call_node_tool(tool, arguments, backend, ctx.request_id)
        definition = tool.definition
        context = (
            Context(RequestBackend(ctx, tool.name, tool.credentials), tool=tool.name)
            if tool.wants_context
            else _NO_CONTEXT
        )
        try:
            args, kwargs = definition.call_arguments(arguments, context)
        except ValueError as exc:
            raise _invalid(f"Invalid arguments for tool '{tool.name}': {exc}") from None
        try:
            value = await self._state.executor.run(
                definition.fn,
                args,
                kwargs,
                is_async=definition.is_async,
                time_limit=tool.timeout,
                name=tool.name,
            )
            result = tool_result(tool, value)
        except ToolError as exc:
            logger.debug("tool returned an error", extra={"tool": tool.name, "request_id": ctx.request_id})
            result = tool_error(str(exc))
        except ToolTimeoutError as exc:
            extra = {"tool": tool.name, "request_id": ctx.request_id}
            logger.warning("tool timed out after %gs", exc.timeout, extra=extra)
            result = tool_error(f"Tool '{tool.name}' timed out after {exc.timeout:g}s")
        except MCPError:
            raise
        except Exception:
            logger.exception("tool failed", extra={"tool": tool.name, "request_id": ctx.request_id})
            result = tool_error(
                f"Tool '{tool.name}' failed with an internal error (request id {ctx.request_id})"
            )
        if context is not _NO_CONTEXT:
            await context.flush()
        return result

    # resources -------------------------------------------------------------

    async def list_resources(self, ctx: Ctx, params: types.PaginatedRequestParams) -> dict[str, Any]:
        return {**_UNCACHED, "resources": list(self._state.registry.resource_listing)}

    async def list_resource_templates(self, ctx: Ctx, params: types.PaginatedRequestParams) -> dict[str, Any]:
        return {**_UNCACHED, "resourceTemplates": list(self._state.registry.template_listing)}

    async def read_resource(self, ctx: Ctx, params: types.ReadResourceRequestParams) -> dict[str, Any]:
        uri = str(params.uri)
        found = self._state.registry.find_resource(uri)
        if found is None:
            raise MCPError(code=types.INVALID_PARAMS, message=f"Resource not found: {uri}", data={"uri": uri})
        resource, kwargs = found
        definition, name = resource.definition, resource.entry.name
        if definition.context_param is not None:
            kwargs[definition.context_param] = Context(RequestBackend(ctx, name, frozenset()), tool=name)
        extra = {"uri": uri, "request_id": ctx.request_id}
        value = await self._run(definition.fn, kwargs, definition.is_async, f"Resource '{name}'", extra, ctx)
        return {**_UNCACHED, **resource_contents(uri, value, resource.entry.mime_type)}

    # prompts ---------------------------------------------------------------

    async def list_prompts(self, ctx: Ctx, params: types.PaginatedRequestParams) -> dict[str, Any]:
        return {**_UNCACHED, "prompts": list(self._state.registry.prompt_listing)}

    async def get_prompt(self, ctx: Ctx, params: types.GetPromptRequestParams) -> dict[str, Any]:
        prompt = self._state.registry.prompts.get(params.name)
        if prompt is None:
            raise _invalid(f"Unknown prompt: {params.name}")
        arguments = params.arguments or {}
        missing = [name for name in prompt.required if name not in arguments]
        if missing:
            raise _invalid(f"Missing required arguments for prompt '{params.name}': {', '.join(missing)}")
        definition = prompt.definition
        kwargs: dict[str, Any] = {k: v for k, v in arguments.items() if k in prompt.known}
        if definition.context_param is not None:
            backend = RequestBackend(ctx, params.name, frozenset())
            kwargs[definition.context_param] = Context(backend, tool=params.name)
        what = f"Prompt '{params.name}'"
        extra = {"prompt": params.name, "request_id": ctx.request_id}
        value = await self._run(definition.fn, kwargs, definition.is_async, what, extra, ctx)
        try:
            return prompt_result(value, prompt.entry.description)
        except TypeError:
            logger.exception("prompt returned an unusable value", extra=extra)
            raise _internal(what, ctx.request_id) from None

    async def _run(
        self, fn: Any, kwargs: dict[str, Any], is_async: bool, what: str, extra: dict[str, Any], ctx: Ctx
    ) -> Any:
        limit = self._state.settings.default_timeout
        try:
            return await self._state.executor.run(
                fn, (), kwargs, is_async=is_async, time_limit=limit, name=what
            )
        except ToolError as exc:
            raise MCPError(code=types.INTERNAL_ERROR, message=str(exc)) from None
        except ToolTimeoutError:
            logger.warning("timed out after %gs", limit, extra=extra)
            raise MCPError(code=types.INTERNAL_ERROR, message=f"{what} timed out after {limit:g}s") from None
        except MCPError:
            raise
        except Exception:
            logger.exception("%s failed", what, extra=extra)
            raise _internal(what, ctx.request_id) from None

    # logging ---------------------------------------------------------------

    async def set_level(self, ctx: Ctx, params: types.SetLevelRequestParams) -> dict[str, Any]:
        # Accepted for handshake-era clients; filtering by level is left to the client.
        return {}


def build_server(state: RuntimeState) -> Server[Any]:
    """A low-level SDK server answering from ``state`` (name/version/instructions from the manifest)."""
    info = state.registry.manifest.server
    handlers = Handlers(state)
    server: Server[Any] = Server(
        info.name,
        version=info.version,
        instructions=info.instructions,
        get_tool_input_schema=handlers.input_schema,
    )
    server.add_request_handler("tools/list", types.PaginatedRequestParams, handlers.list_tools)
    server.add_request_handler("tools/call", types.CallToolRequestParams, handlers.call_tool)
    server.add_request_handler("resources/list", types.PaginatedRequestParams, handlers.list_resources)
    server.add_request_handler(
        "resources/templates/list", types.PaginatedRequestParams, handlers.list_resource_templates
    )
    server.add_request_handler("resources/read", types.ReadResourceRequestParams, handlers.read_resource)
    server.add_request_handler("prompts/list", types.PaginatedRequestParams, handlers.list_prompts)
    server.add_request_handler("prompts/get", types.GetPromptRequestParams, handlers.get_prompt)
    server.add_request_handler("logging/setLevel", types.SetLevelRequestParams, handlers.set_level)
    return server
