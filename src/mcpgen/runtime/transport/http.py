"""``/mcp``: the Streamable HTTP endpoint -- read, classify, then the fast path or the SDK.

Each POST body is read once (413 over the size limit), parsed with orjson,
checked for its JSON-RPC shape (:func:`~mcpgen.runtime.transport.jsonrpc.shape_error`:
a malformed message is answered here, the same on both paths) and classified
(:func:`route_of`). A ``plain`` request that
:func:`~mcpgen.runtime.transport.fastpath.plain_request` accepts is answered
by the :class:`~mcpgen.runtime.transport.fastpath.FastPath`; everything else
is replayed into one of the SDK's session managers. Host/Origin rules are in
:mod:`mcpgen.runtime.transport.security`.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, Literal

import anyio
import mcp_types as types
import orjson
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from sse_starlette.sse import AppStatus
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcpgen.runtime.pipeline import CLIENT_SCOPE_KEY, CallError
from mcpgen.runtime.registry import Registry
from mcpgen.runtime.settings import Settings
from mcpgen.runtime.transport.fastpath import FastPath, Seen, plain_request, transport_ok
from mcpgen.runtime.transport.jsonrpc import NOT_JSON, shape_error
from mcpgen.runtime.transport.sdk import HTTP_ANSWER
from mcpgen.runtime.transport.security import HostCheck, OriginGuard, transport_security

_STARTED = "mcpgen.response_started"
_REQUEST_ID = "mcpgen.request_id"
Route = Literal["plain", "stream", "session"]
SESSION_METHODS = frozenset(
    {"initialize", "logging/setLevel", "resources/subscribe", "resources/unsubscribe"}
)
"""2025-era methods whose effect lives in the session (answered by the session in ``auto`` mode)."""
StreamTest = Callable[[str, Mapping[str, Any]], bool]
"""``(method, params) -> bool``: whether a request's handler may send notifications or ask the client."""


def route_of(message: Any, may_stream: StreamTest) -> Route:
    """Which kind of answer a JSON-RPC message needs.

    ``plain``: one JSON response, no state (any replica); ``stream``: an SSE
    stream for notifications (progress, logs, a listen stream); ``session``:
    the 2025-era session (handshake, log level, subscriptions, and the
    client's answers to server-to-client requests).
    """
    if not isinstance(message, dict):
        return "plain"  # a batch or garbage: the SDK rejects it
    method = message.get("method")
    if not isinstance(method, str) or "id" not in message:
        return "session"  # a response to our request, or a notification
    if method in SESSION_METHODS:
        return "session"
    if method == "subscriptions/listen":
        return "stream"
    params = message.get("params")
    if not isinstance(params, dict):
        return "plain"
    meta = params.get("_meta")
    if isinstance(meta, dict) and meta.get("progressToken") is not None:
        return "stream"
    return "stream" if may_stream(method, params) else "plain"


def _strip_mcp_headers(scope: Scope) -> Scope:
    """``Mcp-*`` header values without surrounding whitespace (HTTP optional whitespace is not part of a value)."""
    headers = scope["headers"]
    if not any(k.startswith(b"mcp-") and v != v.strip() for k, v in headers):
        return scope
    return {**scope, "headers": [(k, v.strip() if k.startswith(b"mcp-") else v) for k, v in headers]}


class _Replay:
    """An ASGI ``receive`` that first hands out a body already read, then defers to the real one."""

    def __init__(self, body: bytes, receive: Receive) -> None:
        self._body: bytes | None = body
        self._receive = receive

    async def __call__(self) -> Message:
        if self._body is not None:
            body, self._body = self._body, None
            return {"type": "http.request", "body": body, "more_body": False}
        return await self._receive()


class _Ended:
    """Session ids this process has seen ended (bounded): requests bearing one get 404, as the spec says."""

    def __init__(self, limit: int = 10_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def add(self, session_id: str) -> None:
        self._ids[session_id] = None
        while len(self._ids) > self._limit:
            self._ids.popitem(last=False)

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._ids


class McpEndpoint:
    """``/mcp``: the SDK's Streamable HTTP session managers behind our routing and checks.

    Each POST is read, classified (:func:`route_of`) and handed to one of
    up to three SDK session managers sharing one server:

    - **plain**: stateless, plain JSON -- the fast path for every request
      that sends nothing but its answer;
    - **stream**: stateless, SSE only when the handler emits a notification
      (progress, logs, 2026-07-28 listen streams);
    - **session** (``auto``/``stateful``): 2025-11-25 sessions, made at
      ``initialize``, for what needs the session: back channels
      (``ctx.elicit``/``sample``/``list_roots``), ``resources/subscribe``,
      ``logging/setLevel``, the GET stream and DELETE.

    Only ``session`` requests need sticky routing across replicas (by
    ``Mcp-Session-Id``). ``GET``/``DELETE`` without a session (always, in
    ``stateless`` mode) get 405.
    Oversized bodies get 413. Fresh managers are made per :meth:`run` (an SDK
    manager runs once), so the same app can start again; outside ``run``
    requests get 503.
    """

    def __init__(
        self,
        server: Server[Any],
        settings: Settings,
        registry: Callable[[], Registry] | None = None,
        fast: FastPath | None = None,
    ) -> None:
        self.server = server
        self.settings = settings
        self.security = transport_security(settings)
        self.hosts = HostCheck(settings)
        self.mode = settings.http.protocol_mode
        self.registry = registry
        """The current registry (read once per request), for classification; ``None``: everything may stream."""
        self.fast = fast
        """Answers plain requests without the SDK (``None``: every request goes to the SDK)."""
        self.served: dict[str, int] = {"fast": 0, "sdk": 0}
        """POST requests answered by each path since start (logged at shutdown, read by the bench)."""
        self.in_flight = 0
        """POST requests being answered right now (what a graceful shutdown waits for)."""
        self.observe_size: Callable[[int], None] | None = None
        """Told the size of every POST body read (the request-size metric), when set."""
        self._idle: anyio.Event | None = None
        self._apps: dict[Route, ASGIApp] | None = None
        self._ended = _Ended()
        self._sessions: StreamableHTTPSessionManager | None = None
        self._max_depth = settings.http.max_json_depth
        self.draining = False
        """Set when shutdown begins: a call cancelled past the grace period is answered, not dropped."""

    @property
    def stateless(self) -> bool:
        return self.mode == "stateless"

    async def wait_idle(self) -> None:
        """Return once no POST request is being answered."""
        while self.in_flight:
            self._idle = anyio.Event()
            await self._idle.wait()

    def _manager(self, *, json_response: bool, stateless: bool) -> StreamableHTTPSessionManager:
        settings = self.settings
        return StreamableHTTPSessionManager(
            app=self.server,
            json_response=json_response,
            stateless=stateless,
            security_settings=self.security,
            max_request_body_size=settings.http.max_request_size,
            session_idle_timeout=None if stateless else settings.http.session_idle_timeout,
            max_sessions=None if stateless else settings.http.max_sessions,
        )

    def _guard(self, app: ASGIApp) -> ASGIApp:
        if self.security is None:  # no Host allow-list (a public bind): still refuse cross-site browsers
            return OriginGuard(app, self.settings.security.allowed_origins)
        return app

    @asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        """Serve while inside: fresh session managers per run (enter it in the app lifespan)."""
        json_only = self.settings.http.json_response
        managers: dict[Route, StreamableHTTPSessionManager] = {
            "plain": self._manager(json_response=True, stateless=True),
            "stream": self._manager(json_response=json_only, stateless=True),
        }
        if not self.stateless:
            managers["session"] = self._manager(json_response=json_only, stateless=False)
        async with AsyncExitStack() as stack:
            for manager in managers.values():
                await stack.enter_async_context(manager.run())
            self._apps = {route: self._guard(m.handle_request) for route, m in managers.items()}
            self._sessions = managers.get("session")
            try:
                yield
            finally:
                self._apps = self._sessions = None

    @property
    def sessions(self) -> int:
        """Open 2025-era sessions (0 when stateless or not running)."""
        manager = self._sessions
        return len(manager._server_instances) if manager is not None else 0

    def _unknown_session(self, session_id: str) -> bool:
        """Whether ``session_id`` names no live session of this process (``auto``: 404 like ``stateful``)."""
        manager = self._sessions
        live: Mapping[str, Any] | None = getattr(manager, "_server_instances", None)
        return live is not None and session_id not in live

    def _target(self, seen: Seen, route: Route, apps: dict[Route, ASGIApp], initialize: bool) -> ASGIApp:
        session_app = apps.get("session")
        if session_app is None or seen.version in MODERN_PROTOCOL_VERSIONS:
            return apps["stream"] if route == "stream" else apps["plain"]
        if self.mode == "stateful":
            return session_app
        has_session = seen.session_id is not None
        if route == "plain":
            return apps["plain"]
        if route == "stream":
            return session_app if has_session else apps["stream"]
        return session_app if has_session or initialize else apps["plain"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        seen = Seen(scope["headers"])
        if method in ("GET", "DELETE") and (self.stateless or seen.session_id is None):
            text = "Method Not Allowed: without a session this server answers POST only"
            response = PlainTextResponse(text, status_code=405, headers={"Allow": "POST"})
            await response(scope, receive, send)
            return
        apps = self._apps
        if apps is None:
            await PlainTextResponse("Service Unavailable", status_code=503)(scope, receive, send)
            return
        if seen.untrimmed:
            scope = _strip_mcp_headers(scope)
        session_id = seen.session_id
        if session_id is not None and (
            session_id in self._ended
            or (seen.version not in MODERN_PROTOCOL_VERSIONS and self._unknown_session(session_id))
        ):
            await _session_not_found(scope, receive, send)
            return
        if method != "POST":
            app = apps.get("session", apps["stream"])
            if method == "DELETE" and session_id is not None:
                if await _status_of(app, scope, receive, send) in range(200, 300):
                    self._ended.add(session_id)
            else:
                await app(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self._post(scope, receive, send, seen, apps)
        except anyio.get_cancelled_exc_class():
            # Past the shutdown grace uvicorn cancels what still runs: answer with a JSON-RPC error
            # (not uvicorn's plain 500), then let the request end.
            if not self.draining or scope.get(_STARTED):
                raise
            await _too_late(scope, seen.version, send)
        finally:
            self.in_flight -= 1
            if not self.in_flight and self._idle is not None:
                self._idle.set()

    async def _post(
        self, scope: Scope, receive: Receive, send: Send, seen: Seen, apps: dict[Route, ASGIApp]
    ) -> None:
        body = await self._read_body(scope, receive, send, seen.content_length)
        if body is None:
            return
        if self.observe_size is not None:
            self.observe_size(len(body))
        parsed: Any
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            parsed = NOT_JSON
        refusal = shape_error(body, parsed, max_depth=self._max_depth)
        if refusal is not None:
            await _refuse(*refusal, seen.version, send)
            return
        scope[_REQUEST_ID] = parsed.get("id")
        registry = self.registry() if self.registry is not None else None
        route = route_of(parsed, registry.may_stream if registry is not None else _may_always_stream)
        initialize = parsed.get("method") == "initialize"
        app = self._target(seen, route, apps, initialize)
        fast = self.fast
        if (
            fast is not None
            and registry is not None
            and app is apps["plain"]
            and not seen.untrimmed
            and transport_ok(seen, self.hosts)
            and plain_request(parsed, seen)
            and not _header_routed(parsed, registry)
        ):
            self.served["fast"] += 1
            assert seen.version is not None
            await fast.answer(
                parsed,
                seen.version,
                Headers(raw=scope["headers"]),
                send,
                client=scope.get(CLIENT_SCOPE_KEY),
                peer=_peer(scope),
            )
            return
        self.served["sdk"] += 1
        await app(scope, _Replay(body, receive), _answer_as_asked(scope, send))

    async def _read_body(
        self, scope: Scope, receive: Receive, send: Send, length: bytes | None
    ) -> bytes | None:
        """The whole request body, or ``None`` after answering 413 for one over the size limit."""
        limit = self.settings.http.max_request_size
        if length is not None and length.isdigit() and int(length) > limit:
            await PlainTextResponse("Payload Too Large", status_code=413)(scope, receive, send)
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await PlainTextResponse("Payload Too Large", status_code=413)(scope, receive, send)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _peer(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def _answer_as_asked(scope: Scope, send: Send) -> Send:
    """``send``, with the HTTP status and headers a pipeline ``CallError`` asked for on the SDK path."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            scope[_STARTED] = True
            asked = scope.get(HTTP_ANSWER)
            if asked is not None:
                status, extra = asked
                message = {**message, "status": status, "headers": [*message.get("headers", ()), *extra]}
        await send(message)

    return sending


async def _too_late(scope: Scope, version: str | None, send: Send) -> None:
    """The answer to a call cut off at shutdown: 503 and a JSON-RPC error naming its id."""
    error = CallError(types.INTERNAL_ERROR, "The server shut down before the call finished; retry it")
    # OSError/RuntimeError: the connection is gone, or the fast path had begun its answer
    with anyio.CancelScope(shield=True), contextlib.suppress(OSError, RuntimeError):
        await _refuse(error, scope.get(_REQUEST_ID), version, send, status=503)


async def _refuse(
    error: CallError, request_id: Any, version: str | None, send: Send, status: int | None = None
) -> None:
    """Answer with a JSON-RPC error (a malformed message: 400 unless it names a request on a 2025 wire)."""
    modern = version in MODERN_PROTOCOL_VERSIONS
    if status is None:
        status = 400 if request_id is None or modern else 200
    body = orjson.dumps({"jsonrpc": "2.0", "id": request_id, "error": error.to_wire()})
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _may_always_stream(method: str, params: Mapping[str, Any]) -> bool:
    return True


def _header_routed(message: dict[str, Any], registry: Registry) -> bool:
    """Whether a ``tools/call`` names a tool whose schema routes arguments to ``Mcp-Param-*`` headers."""
    if message["method"] != "tools/call":
        return False
    tool = registry.tools.get(message["params"]["name"])
    return tool is not None and tool.header_params


async def _session_not_found(scope: Scope, receive: Receive, send: Send) -> None:
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Session not found"}}
    await Response(orjson.dumps(body), status_code=404, media_type="application/json")(scope, receive, send)


async def _status_of(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> int | None:
    """Run ``app`` and return the HTTP status it answered with."""
    status: int | None = None

    async def watch(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        await send(message)

    await app(scope, receive, watch)
    return status


def hold_sse_streams_on_shutdown() -> None:
    """Stop sse-starlette from cutting every SSE response the moment uvicorn is signalled.

    By default it ends all event streams on SIGTERM, which would drop the
    answers of in-flight ``tools/call`` requests. Call
    :func:`release_sse_streams` once those have been answered.
    """
    AppStatus.enable_automatic_graceful_drain = False
    AppStatus.should_exit = False


def release_sse_streams() -> None:
    """End the SSE streams still open (standalone GET streams of stateful sessions)."""
    AppStatus.should_exit = True
