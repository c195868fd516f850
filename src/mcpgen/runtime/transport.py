"""The SDK transports: Streamable HTTP (session manager + Host/Origin rules) and stdio.

Together with :mod:`mcpgen.runtime.protocol` this is the only place that
imports the SDK's server side; the app factory and the serve functions use
what is defined here.

Host/Origin (DNS-rebinding) protection, decided by :func:`transport_security`:

- bound to a loopback address: on, allowing ``127.0.0.1``, ``localhost`` and
  ``[::1]`` on any port, plus the configured ``allowed_hosts`` /
  ``allowed_origins``;
- bound to anything else (a container, ``0.0.0.0``): on only when
  ``allowed_hosts`` is configured -- a container is never locked to
  loopback. ``allowed_origins`` alone is enforced by :class:`OriginGuard`
  without a Host check.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, redirect_stdout
from typing import Any

import anyio
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from sse_starlette.sse import AppStatus
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from mcpgen.runtime.settings import Settings

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def _with_ports(names: Sequence[str], scheme: str = "") -> list[str]:
    return [f"{scheme}{name}{suffix}" for name in names for suffix in ("", ":*")]


def transport_security(settings: Settings) -> TransportSecuritySettings | None:
    """The SDK's Host/Origin settings for ``settings`` (``None``: no Host check)."""
    if settings.loopback:
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=[*_with_ports(LOOPBACK_HOSTS), *settings.allowed_hosts],
            allowed_origins=[
                *_with_ports(LOOPBACK_HOSTS, "http://"),
                *_with_ports(LOOPBACK_HOSTS, "https://"),
                *settings.allowed_origins,
            ],
        )
    if settings.allowed_hosts:
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=list(settings.allowed_hosts),
            allowed_origins=list(settings.allowed_origins),
        )
    return None


def origin_allowed(origin: str, allowed: Sequence[str]) -> bool:
    """The SDK's matching rule: exact, or ``scheme://host:*`` for any port."""
    if origin in allowed:
        return True
    return any(a.endswith(":*") and origin.startswith(a[:-1]) for a in allowed)


class OriginGuard:
    """403 for a request whose ``Origin`` is not allowed (used when there is no Host allow-list)."""

    def __init__(self, app: ASGIApp, allowed_origins: Sequence[str]) -> None:
        self.app = app
        self.allowed = tuple(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            origin = Headers(scope=scope).get("origin")
            if origin and not origin_allowed(origin, self.allowed):
                await PlainTextResponse("Invalid Origin header", status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class McpEndpoint:
    """``/mcp``: the SDK's Streamable HTTP session manager behind our own checks.

    In stateless mode ``GET`` (the standalone SSE stream, which would never
    close) and ``DELETE`` (no session to end) are answered with 405 here.
    Oversized bodies get 413 from the manager's body-limit middleware. A
    fresh session manager is made per :meth:`run` (the SDK's can run only
    once), so the same app can be started again; outside ``run`` it answers 503.
    """

    def __init__(self, server: Server[Any], settings: Settings) -> None:
        self.server = server
        self.settings = settings
        self.security = transport_security(settings)
        self.stateless = settings.stateless
        self.in_flight = 0
        """POST requests being answered right now (what a graceful shutdown waits for)."""
        self._idle: anyio.Event | None = None
        self._app: ASGIApp | None = None

    async def wait_idle(self) -> None:
        """Return once no POST request is being answered."""
        while self.in_flight:
            self._idle = anyio.Event()
            await self._idle.wait()

    @asynccontextmanager
    async def run(self) -> AsyncIterator[StreamableHTTPSessionManager]:
        """Serve while inside: a fresh session manager per run (enter it in the app lifespan)."""
        settings = self.settings
        manager = StreamableHTTPSessionManager(
            app=self.server,
            json_response=settings.json_response,
            stateless=settings.stateless,
            security_settings=self.security,
            max_request_body_size=settings.max_request_size,
        )
        app: ASGIApp = manager.handle_request
        if self.security is None and settings.allowed_origins:
            app = OriginGuard(app, settings.allowed_origins)
        async with manager.run():
            self._app = app
            try:
                yield manager
            finally:
                self._app = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.stateless and scope.get("method") in ("GET", "DELETE"):
            message = "Method Not Allowed: this server is stateless; use POST"
            response = PlainTextResponse(message, status_code=405, headers={"Allow": "POST"})
            await response(scope, receive, send)
            return
        app = self._app
        if app is None:
            await PlainTextResponse("Service Unavailable", status_code=503)(scope, receive, send)
            return
        if scope.get("method") != "POST":
            await app(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await app(scope, receive, send)
        finally:
            self.in_flight -= 1
            if not self.in_flight and self._idle is not None:
                self._idle.set()


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


async def run_stdio(server: Server[Any]) -> None:
    """Serve ``server`` over this process's stdin/stdout until stdin closes.

    Nothing but protocol reaches stdout: the SDK points fd 1 at stderr while
    serving (keeping a private duplicate for the wire), and ``sys.stdout`` is
    redirected to ``sys.stderr`` as well, so a tool that prints cannot
    corrupt the stream.
    """
    async with stdio_server() as (read_stream, write_stream):
        # Redirect only after the transport has claimed the real stdout.
        with redirect_stdout(sys.stderr):
            await server.run(read_stream, write_stream, server.create_initialization_options())
