"""The SDK bridge: the only module that wires the SDK's low-level ``Server`` to the call pipeline.

``build_server(state, pipeline)`` returns an ``mcp.server.lowlevel.Server``
whose handlers turn each SDK request into a
:class:`~mcpgen.runtime.pipeline.CallContext` (``path="sdk"``) and run it
through the same :class:`~mcpgen.runtime.pipeline.Pipeline` as the fast path:
``tools/*``, ``resources/read`` and the lists, ``prompts/*``. What only the
SDK path has travels with the call as its :class:`SdkChannel`: the
:class:`RequestBackend` behind a tool's ``Context`` (logs, progress, asking
the client) and the 2026-07-28 input round.

- Asking the client (``ctx.elicit``/``sample``/``list_roots``) is
  :mod:`mcpgen.runtime.asking`: a back-channel request on 2025-11-25, an
  ``InputRequiredResult`` round on 2026-07-28 (``requestState`` sealed by the
  SDK's ``RequestStateBoundary`` middleware installed here).
- ``completion/complete`` answers from the ``complete=`` of prompts and
  resource templates; ``resources/subscribe``/``unsubscribe`` (2025) and
  ``subscriptions/listen`` (2026) deliver ``ctx.resource_updated(uri)``
  through :class:`mcpgen.runtime.transport.events.Events`.

Handlers return plain wire dicts (the SDK validates them against the
negotiated protocol version); a pipeline ``CallError`` becomes the SDK's
``MCPError``.
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

from mcpgen.authoring import ConnectorError, LogLevel, MissingClientCapability
from mcpgen.authoring.interaction import CAPABILITY_OF
from mcpgen.runtime.asking import BackChannel, InputRound, client_supports, invalid, no_back_channel
from mcpgen.runtime.connectors.hub import ConnectorHub
from mcpgen.runtime.pipeline import CLIENT_SCOPE_KEY, CallContext, CallError, Pipeline
from mcpgen.runtime.state import RuntimeState
from mcpgen.runtime.transport.events import Events

logger = logging.getLogger("mcpgen.runtime")
HTTP_ANSWER = "mcpgen.http_answer"
"""Scope key where a :class:`CallError`'s HTTP status and headers wait for the endpoint (the SDK path)."""
Ctx = ServerRequestContext[Any, Any]
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


class SdkChannel:
    """The SDK request's extras for user code: a Context backend and the 2026-07-28 input round."""

    __slots__ = ("_ctx", "_events", "_hub", "_params", "_round")

    def __init__(self, ctx: Ctx, params: Any, events: Events, hub: ConnectorHub) -> None:
        self._ctx = ctx
        self._params = params
        self._events = events
        self._hub = hub
        self._round: InputRound | bool | None = False

    @property
    def input_round(self) -> InputRound | None:
        """The round of a 2026-07-28 request (built on first use: a bad ``inputResponses`` is -32602)."""
        if self._round is False:
            self._round = InputRound.from_params(self._params) if is_modern(self._ctx) else None
        assert self._round is not True
        return self._round

    def backend(self, name: str, credentials: frozenset[str]) -> RequestBackend:
        return RequestBackend(self._ctx, name, credentials, self._events, self.input_round, self._hub)


class Handlers:
    """The SDK request handlers: each runs its request through ``pipeline``."""

    def __init__(self, state: RuntimeState, pipeline: Pipeline, events: Events | None = None) -> None:
        self._state = state
        self._pipeline = pipeline
        self.events = events or Events()

    def input_schema(self, name: str) -> dict[str, Any] | None:
        return self._state.registry.input_schema(name)

    async def _handle(self, ctx: Ctx, params: Any, name: str, arguments: Any) -> dict[str, Any]:
        request = ctx.request
        call = CallContext(
            method=ctx.method,
            name=name,
            arguments=arguments if arguments is not None else {},
            request_id=ctx.request_id,
            wire=ctx.protocol_version,
            transport="http" if request is not None else "stdio",
            path="sdk",
            registry=self._state.registry,
            meta=ctx.params.get("_meta") if isinstance(ctx.params, Mapping) else None,
            headers=getattr(request, "headers", None),
            client=request.scope.get(CLIENT_SCOPE_KEY) if request is not None else None,
            peer=request.client.host if request is not None and request.client is not None else None,
            channel=SdkChannel(ctx, params, self.events, self._state.connectors),
        )
        try:
            return await self._pipeline.handle(call)
        except CallError as exc:
            if exc.http_status is not None and request is not None:
                request.scope[HTTP_ANSWER] = (exc.http_status, exc.raw_headers())
            raise MCPError(code=exc.code, message=exc.message, data=exc.data) from None

    async def listing(self, ctx: Ctx, params: types.PaginatedRequestParams) -> dict[str, Any]:
        return await self._handle(ctx, params, "", {})

    async def call_tool(self, ctx: Ctx, params: types.CallToolRequestParams) -> dict[str, Any]:
        return await self._handle(ctx, params, params.name, params.arguments)

    async def read_resource(self, ctx: Ctx, params: types.ReadResourceRequestParams) -> dict[str, Any]:
        return await self._handle(ctx, params, str(params.uri), {})

    async def get_prompt(self, ctx: Ctx, params: types.GetPromptRequestParams) -> dict[str, Any]:
        return await self._handle(ctx, params, params.name, params.arguments)

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


def build_server(
    state: RuntimeState, pipeline: Pipeline | None = None, events: Events | None = None
) -> Server[Any]:
    """A low-level SDK server answering through ``pipeline`` (default: one without middleware)."""
    info = state.registry.manifest.server
    handlers = Handlers(state, pipeline or Pipeline(state), events)
    server: Server[Any] = Server(
        info.name,
        version=info.version,
        instructions=info.instructions,
        get_tool_input_schema=handlers.input_schema,
    )
    for listing in ("tools/list", "resources/list", "resources/templates/list", "prompts/list"):
        server.add_request_handler(listing, types.PaginatedRequestParams, handlers.listing)
    server.add_request_handler("tools/call", types.CallToolRequestParams, handlers.call_tool)
    server.add_request_handler("resources/read", types.ReadResourceRequestParams, handlers.read_resource)
    server.add_request_handler("prompts/get", types.GetPromptRequestParams, handlers.get_prompt)
    server.add_request_handler("logging/setLevel", types.SetLevelRequestParams, handlers.set_level)
    server.add_request_handler("completion/complete", types.CompleteRequestParams, handlers.complete)
    server.add_request_handler("resources/subscribe", types.SubscribeRequestParams, handlers.subscribe)
    server.add_request_handler("resources/unsubscribe", types.UnsubscribeRequestParams, handlers.unsubscribe)
    server.add_request_handler(
        "subscriptions/listen", types.SubscriptionsListenRequestParams, ListenHandler(handlers.events.bus)
    )
    security = request_state_security(state.settings.http.request_state_key)
    server.middleware.append(RequestStateBoundary(security, default_audience=info.name))
    return server
