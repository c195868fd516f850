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
- Asking the client (``ctx.elicit``/``sample``/``list_roots``) is
  :mod:`mcpgen.runtime.asking`: a back-channel request on 2025-11-25, an
  ``InputRequiredResult`` round on 2026-07-28 (``requestState`` sealed by the
  SDK's ``RequestStateBoundary`` middleware installed here).
- ``completion/complete`` answers from the ``complete=`` of prompts and
  resource templates; ``resources/subscribe``/``unsubscribe`` (2025) and
  ``subscriptions/listen`` (2026) deliver ``ctx.resource_updated(uri)``
  through :class:`mcpgen.runtime.events.Events`.

Handlers return plain wire dicts (the SDK validates them against the
negotiated protocol version), and listings are precomputed per registry,
which keeps the hot path free of per-call model building.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

import mcp_types as types
from mcp.server.connection import allowed_log_levels
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.request_state import RequestStateBoundary, RequestStateSecurity
from mcp.server.subscriptions import ListenHandler
from mcp.shared.exceptions import MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from mcpgen.authoring import ConnectorError, Context, LogLevel, MissingClientCapability, ToolError
from mcpgen.authoring.interaction import CAPABILITY_OF
from mcpgen.errors import ToolTimeoutError
from mcpgen.runtime.asking import (
    BackChannel,
    InputRequired,
    InputRound,
    client_supports,
    invalid,
    missing_capability,
    no_back_channel,
    run_round,
)
from mcpgen.runtime.connectors import ConnectorHub, explain
from mcpgen.runtime.events import Events
from mcpgen.runtime.node_connectors import node_connector_states
from mcpgen.runtime.node_tools import call_node_tool
from mcpgen.runtime.results import prompt_result, resource_contents, tool_error, tool_result
from mcpgen.runtime.state import RuntimeState

logger = logging.getLogger("mcpgen.runtime")
Ctx = ServerRequestContext[Any, Any]
_UNCACHED = {"ttlMs": 0, "cacheScope": "private", "resultType": "complete"}
"""2026-07-28 caching directives for cacheable results (lists, reads): immediately stale, not shared."""
_NO_CONTEXT = Context()
"""Passed to ``call_arguments`` for tools that take no Context (it is never injected)."""
MAX_COMPLETIONS = 100
"""``completion/complete`` returns at most this many values (the spec's cap)."""


def is_modern(ctx: Ctx) -> bool:
    return ctx.protocol_version in MODERN_PROTOCOL_VERSIONS


class RequestBackend:
    """The :class:`~mcpgen.authoring.ContextBackend` of one request, on top of the SDK request context.

    Logs become ``notifications/message`` (only the levels the client opted
    in to on 2026-07-28; every level on handshake-era connections), progress
    goes to the caller's progress token, and credentials come from
    ``os.environ`` -- only the names the tool declared.
    """

    __slots__ = ("_allowed", "_connectors", "_credentials", "_ctx", "_events", "_name", "_round")

    def __init__(
        self,
        ctx: Ctx,
        name: str,
        credentials: frozenset[str],
        events: Events,
        round_: InputRound | None = None,
        connectors: ConnectorHub | None = None,
    ) -> None:
        self._ctx = ctx
        self._name = name
        self._credentials = credentials
        self._events = events
        self._round = round_
        self._connectors = connectors
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

    def client_supports(self, capability: str) -> bool:
        return client_supports(self._ctx.session.client_capabilities, capability)

    async def ask(self, key: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
        ctx = self._ctx
        capability = CAPABILITY_OF[method]
        if self._round is None and not ctx.session.can_send_request:
            raise no_back_channel(method)
        if not self.client_supports(capability):
            raise MissingClientCapability(
                capability,
                f"'{self._name}' asked the client for {method}, but the client did not declare "
                f"the '{capability}' capability",
            )
        if self._round is not None:
            return await self._round.ask(key, method, params)
        return await BackChannel(ctx.session, ctx.request_id).ask(method, params)

    async def resource_updated(self, uri: str) -> None:
        await self._events.resource_updated(uri)

    def connector(self, name: str) -> Any:
        if self._connectors is None:
            raise ConnectorError(f"no connector named {name!r} (this server has none)", connector=name)
        return self._connectors.get(name)


def _internal(what: str, request_id: Any) -> MCPError:
    message = f"{what} failed with an internal error (request id {request_id})"
    return MCPError(code=types.INTERNAL_ERROR, message=message)


class Handlers:
    """The request handlers, bound to one :class:`RuntimeState`."""

    def __init__(self, state: RuntimeState, events: Events | None = None) -> None:
        self._state = state
        self.events = events or Events()

    def _context(
        self, ctx: Ctx, name: str, credentials: frozenset[str], round_: InputRound | None
    ) -> Context:
        backend = RequestBackend(ctx, name, credentials, self.events, round_, self._state.connectors)
        return Context(backend, tool=name)

    @staticmethod
    def _round(ctx: Ctx, params: Any, wants_context: bool) -> InputRound | None:
        """The 2026-07-28 input round of a request whose handler may ask the client (else ``None``)."""
        return InputRound.from_params(params) if wants_context and is_modern(ctx) else None

    def input_schema(self, name: str) -> dict[str, Any] | None:
        return self._state.registry.input_schema(name)

    # tools -----------------------------------------------------------------

    async def list_tools(self, ctx: Ctx, params: types.PaginatedRequestParams) -> dict[str, Any]:
        return {**_UNCACHED, "tools": list(self._state.registry.tool_listing)}

    async def call_tool(self, ctx: Ctx, params: types.CallToolRequestParams) -> dict[str, Any]:
        tool = self._state.registry.tools.get(params.name)
        if tool is None:
            raise invalid(f"Unknown tool: {params.name}")
        arguments = params.arguments if params.arguments is not None else {}
        problems = tool.argument_errors(arguments)
        if problems:
            detail = "; ".join(f"{field}: {problem}" for field, problem in problems)
            raise invalid(f"Invalid arguments for tool '{tool.name}': {detail}")
        definition = tool.definition
        hub = self._state.connectors
        declared = tool.entry.connectors if tool.node is not None else definition.connectors
        try:
            connectors = {name: hub.get(name) for name in declared}
        except ConnectorError as exc:  # not connected: say why without running the tool
            return tool_error(f"Tool '{tool.name}' cannot run: {exc.message}")
        if tool.node is not None:  # TS/JS: runs in the Node worker pool
            backend = RequestBackend(ctx, tool.name, tool.credentials, self.events, None, hub)
            return await call_node_tool(tool, arguments, backend, ctx.request_id, node_connector_states(hub))
        round_ = self._round(ctx, params, tool.wants_context)
        context = (
            self._context(ctx, tool.name, tool.credentials, round_) if tool.wants_context else _NO_CONTEXT
        )
        try:
            args, kwargs = definition.call_arguments(arguments, context, connectors)
        except ValueError as exc:
            raise invalid(f"Invalid arguments for tool '{tool.name}': {exc}") from None

        async def call() -> Any:
            return await self._state.executor.run(
                definition.fn,
                args,
                kwargs,
                is_async=definition.is_async,
                time_limit=tool.timeout,
                name=tool.name,
            )

        try:
            result = tool_result(tool, await run_round(call, round_))
        except InputRequired as exc:
            result = exc.result
        except MissingClientCapability as exc:
            if is_modern(ctx):
                raise missing_capability(exc.capability, f"Tool '{tool.name}'") from None
            result = tool_error(str(exc))
        except ToolError as exc:
            logger.debug("tool returned an error", extra={"tool": tool.name, "request_id": ctx.request_id})
            result = tool_error(str(exc))
        except ToolTimeoutError as exc:
            extra = {"tool": tool.name, "request_id": ctx.request_id}
            logger.warning("tool timed out after %gs", exc.timeout, extra=extra)
            result = tool_error(f"Tool '{tool.name}' timed out after {exc.timeout:g}s")
        except MCPError:
            raise
        except Exception as exc:
            explained = explain(exc)
            if explained is not None:  # a service error a connector let escape
                logger.warning(
                    "tool failed: %s", explained, extra={"tool": tool.name, "request_id": ctx.request_id}
                )
                result = tool_error(f"Tool '{tool.name}' failed: {explained}")
            else:
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
        round_ = self._round(ctx, params, definition.context_param is not None)
        if definition.context_param is not None:
            kwargs[definition.context_param] = self._context(ctx, name, frozenset(), round_)
        extra = {"uri": uri, "request_id": ctx.request_id}
        what = f"Resource '{name}'"
        try:
            value = await self._run(definition.fn, kwargs, definition.is_async, what, extra, ctx, round_)
        except InputRequired as exc:
            return exc.result
        return {**_UNCACHED, **resource_contents(uri, value, resource.entry.mime_type)}

    # prompts ---------------------------------------------------------------

    async def list_prompts(self, ctx: Ctx, params: types.PaginatedRequestParams) -> dict[str, Any]:
        return {**_UNCACHED, "prompts": list(self._state.registry.prompt_listing)}

    async def get_prompt(self, ctx: Ctx, params: types.GetPromptRequestParams) -> dict[str, Any]:
        prompt = self._state.registry.prompts.get(params.name)
        if prompt is None:
            raise invalid(f"Unknown prompt: {params.name}")
        arguments = params.arguments or {}
        missing = [name for name in prompt.required if name not in arguments]
        if missing:
            raise invalid(f"Missing required arguments for prompt '{params.name}': {', '.join(missing)}")
        definition = prompt.definition
        kwargs: dict[str, Any] = {k: v for k, v in arguments.items() if k in prompt.known}
        round_ = self._round(ctx, params, definition.context_param is not None)
        if definition.context_param is not None:
            kwargs[definition.context_param] = self._context(ctx, params.name, frozenset(), round_)
        what = f"Prompt '{params.name}'"
        extra = {"prompt": params.name, "request_id": ctx.request_id}
        try:
            value = await self._run(definition.fn, kwargs, definition.is_async, what, extra, ctx, round_)
        except InputRequired as exc:
            return exc.result
        try:
            return prompt_result(value, prompt.entry.description)
        except TypeError:
            logger.exception("prompt returned an unusable value", extra=extra)
            raise _internal(what, ctx.request_id) from None

    async def _run(
        self,
        fn: Any,
        kwargs: dict[str, Any],
        is_async: bool,
        what: str,
        extra: dict[str, Any],
        ctx: Ctx,
        round_: InputRound | None = None,
    ) -> Any:
        limit = self._state.settings.default_timeout

        async def call() -> Any:
            return await self._state.executor.run(
                fn, (), kwargs, is_async=is_async, time_limit=limit, name=what
            )

        try:
            return await run_round(call, round_)
        except InputRequired:
            raise
        except MissingClientCapability as exc:
            if is_modern(ctx):
                raise missing_capability(exc.capability, what) from None
            raise MCPError(code=types.INTERNAL_ERROR, message=str(exc)) from None
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

    # completion ------------------------------------------------------------

    async def complete(self, ctx: Ctx, params: types.CompleteRequestParams) -> dict[str, Any]:
        registry = self._state.registry
        ref = params.ref
        completions: Mapping[str, Any]
        if isinstance(ref, types.PromptReference):
            prompt = registry.prompts.get(ref.name)
            if prompt is None:
                raise invalid(f"Unknown prompt: {ref.name}")
            completions = prompt.definition.completions
        else:
            template = next((r for r in registry.templates if r.entry.uri_template == ref.uri), None)
            static = registry.static_resources.get(ref.uri)
            if template is None and static is None:
                raise invalid(f"Unknown resource or template: {ref.uri}")
            completions = template.definition.completions if template is not None else {}
        completer = completions.get(params.argument.name)
        value = params.argument.value
        known = dict(params.context.arguments or {}) if params.context is not None else {}
        values = await _complete(completer, value, known) if completer is not None else []
        shown = values[:MAX_COMPLETIONS]
        completion = {"values": shown, "total": len(values), "hasMore": len(values) > len(shown)}
        return {"resultType": "complete", "completion": completion}

    # subscriptions -----------------------------------------------------------

    async def subscribe(self, ctx: Ctx, params: types.SubscribeRequestParams) -> dict[str, Any]:
        uri = str(params.uri)
        if self._state.registry.find_resource(uri) is None:
            raise MCPError(code=types.INVALID_PARAMS, message=f"Resource not found: {uri}", data={"uri": uri})
        if not self.events.subscribe(uri, ctx.session):
            raise MCPError(code=types.INTERNAL_ERROR, message="Too many resource subscriptions")
        return {}

    async def unsubscribe(self, ctx: Ctx, params: types.UnsubscribeRequestParams) -> dict[str, Any]:
        self.events.unsubscribe(str(params.uri), ctx.session)
        return {}

    # logging ---------------------------------------------------------------

    async def set_level(self, ctx: Ctx, params: types.SetLevelRequestParams) -> dict[str, Any]:
        # Accepted for handshake-era clients; filtering by level is left to the client.
        return {}


async def _complete(completer: Any, value: str, known: dict[str, str]) -> list[str]:
    """Suggestions from a ``complete=`` entry: a list filtered by prefix, or a function's answer."""
    if isinstance(completer, Sequence) and not isinstance(completer, str):
        prefix = value.casefold()
        return [str(v) for v in completer if str(v).casefold().startswith(prefix)]
    try:
        takes_known = len(inspect.signature(completer).parameters) >= 2
    except (TypeError, ValueError):
        takes_known = False
    try:
        found = completer(value, known) if takes_known else completer(value)
        if inspect.isawaitable(found):
            found = await found
    except Exception:
        logger.exception("completion function failed")
        raise MCPError(
            code=types.INTERNAL_ERROR, message="completion failed with an internal error"
        ) from None
    if isinstance(found, str) or not isinstance(found, Sequence):
        logger.error("completion function returned %s, not a list of strings", type(found).__name__)
        return []
    return [str(v) for v in found]


def request_state_security(key: str | None) -> RequestStateSecurity:
    """How ``requestState`` is sealed: with ``key`` (shared by replicas) or a per-process random key."""
    if key:
        return RequestStateSecurity(keys=[key])
    return RequestStateSecurity.ephemeral()


def build_server(state: RuntimeState, events: Events | None = None) -> Server[Any]:
    """A low-level SDK server answering from ``state`` (name/version/instructions from the manifest)."""
    info = state.registry.manifest.server
    handlers = Handlers(state, events)
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
    server.add_request_handler("completion/complete", types.CompleteRequestParams, handlers.complete)
    server.add_request_handler("resources/subscribe", types.SubscribeRequestParams, handlers.subscribe)
    server.add_request_handler("resources/unsubscribe", types.UnsubscribeRequestParams, handlers.unsubscribe)
    server.add_request_handler(
        "subscriptions/listen", types.SubscriptionsListenRequestParams, ListenHandler(handlers.events.bus)
    )
    security = request_state_security(state.settings.request_state_key)
    server.middleware.append(RequestStateBoundary(security, default_audience=info.name))
    return server
