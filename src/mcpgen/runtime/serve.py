"""Run the server: Streamable HTTP under uvicorn, or stdio.

``serve_http`` runs uvicorn (uvloop + httptools when available, access log
off unless ``settings.logging.access_log``, logs to stderr). On SIGTERM/SIGINT it
marks the server not ready, stops accepting connections, lets in-flight
calls finish within ``settings.http.graceful_shutdown_timeout`` (then cancels
them), runs the app's shutdown and returns normally, so the process exits 0.
It binds its socket before the app starts, so a taken port is one
:class:`~mcpgen.errors.StartupError` and no connector is started for nothing; a
start-up that fails with an mcpgen error (a required connector that cannot
connect) is raised as that error, without uvicorn's traceback.

``serve_stdio`` serves the same registry over stdin/stdout; stdout carries
nothing but protocol.
"""

from __future__ import annotations

import asyncio
import errno
import importlib.util
import logging
import math
import os
import socket
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any

import anyio
import uvicorn
from starlette.applications import Starlette

from mcpgen.errors import McpgenError, StartupError
from mcpgen.manifest import Manifest
from mcpgen.runtime.admin.reload import Rebuild
from mcpgen.runtime.app import create_app, runtime_state
from mcpgen.runtime.auth.gate import refuse_unsafe_bind
from mcpgen.runtime.credentials import check_credentials, credential_values, install_redaction
from mcpgen.runtime.logs import configure_logging
from mcpgen.runtime.middleware import close_all, configured
from mcpgen.runtime.pipeline import Middleware, Pipeline
from mcpgen.runtime.registry import Registry
from mcpgen.runtime.settings import Settings
from mcpgen.runtime.state import RuntimeState
from mcpgen.runtime.transport.http import McpEndpoint, hold_sse_streams_on_shutdown, release_sse_streams
from mcpgen.runtime.transport.sdk import build_server
from mcpgen.runtime.transport.stdio import run_stdio

logger = logging.getLogger("mcpgen.runtime")


def _have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


class _Server(uvicorn.Server):
    """uvicorn's server, telling the runtime state when shutdown begins, and exiting 0 on a signal.

    uvicorn re-raises the signal it caught once it has shut down (so the
    process dies *by* the signal); a graceful shutdown is a success for us.
    """

    def __init__(self, config: uvicorn.Config, state: RuntimeState, endpoint: McpEndpoint) -> None:
        super().__init__(config)
        self._runtime_state = state
        self._endpoint = endpoint

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn waits (up to the grace period) for open connections; answer the
        # in-flight POSTs first, then end the remaining (standalone GET) streams.
        releaser = asyncio.ensure_future(self._release_streams_when_idle())
        try:
            await super().shutdown(sockets)
        finally:
            releaser.cancel()
            release_sse_streams()

    async def _release_streams_when_idle(self) -> None:
        await self._endpoint.wait_idle()
        release_sse_streams()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self._runtime_state.shutting_down:
            logger.info("signal %d received: finishing in-flight requests, then exiting", sig)
        self._runtime_state.begin_shutdown()
        self._endpoint.draining = True
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


class _QuietStartup:
    """The app, as uvicorn runs it: a start-up failing with an :class:`McpgenError` is kept for
    :func:`serve_http` to raise, and its traceback is not handed to uvicorn to log."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.failure: McpgenError | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def quiet(message: Any) -> None:
            failure = sys.exc_info()[1]
            if message["type"] == "lifespan.startup.failed" and isinstance(failure, McpgenError):
                self.failure = failure
                message = {**message, "message": ""}
            await send(message)

        await self.app(scope, receive, quiet)


def _listen(settings: Settings) -> socket.socket:
    """The server's listening socket, bound now (``StartupError`` when the address is taken)."""
    host, port = settings.http.host, settings.http.port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn binds
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        hint = (
            " (is another server running? choose another with --port or server.port)"
            if exc.errno == errno.EADDRINUSE
            else ""
        )
        raise StartupError(f"cannot listen on {host}:{port}: {reason}{hint}") from exc
    sock.set_inheritable(True)
    return sock


def uvicorn_config(app: Any, settings: Settings) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.http.host,
        port=settings.http.port,
        loop="uvloop" if _have("uvloop") else "asyncio",
        http="httptools" if _have("httptools") else "h11",
        ws="none",
        lifespan="on",
        access_log=settings.logging.access_log,
        log_config=None,
        server_header=False,
        timeout_graceful_shutdown=math.ceil(
            settings.http.graceful_shutdown_timeout
        ),  # then: 503 + JSON-RPC error
    )


def _configure_logging(settings: Settings, *, stdio: bool = False) -> None:
    logs = settings.logging
    destination = "stderr" if stdio and logs.destination == "stdout" else logs.destination
    configure_logging(logs.level, format=logs.format, destination=destination, file=logs.file)


def log_left_out(registry: Registry) -> None:
    """One warning per problem the workspace had that was left out of ``registry`` (see ``/health``)."""
    for problem in registry.left_out:
        where = f"{problem['path']}:{problem['line']}" if problem.get("line") is not None else problem["path"]
        logger.warning("left out (not served): %s: %s [%s]", where, problem["message"], problem["code"])


def _guard_credentials(manifest: Manifest, settings: Settings) -> None:
    """Fail start-up on a missing required credential; redact every credential and config secret from logs."""
    check_credentials(manifest, os.environ)
    install_redaction([*credential_values(manifest, os.environ), *settings.secret_values])


def serve_http(
    manifest: Manifest, settings: Settings, *, app: Starlette | None = None, rebuild: Rebuild | None = None
) -> None:
    """Serve ``manifest`` over Streamable HTTP on ``settings.http.host:port`` until signalled.

    Pass ``app`` (from :func:`create_app`) to keep a handle on it, e.g. to
    swap registries while serving; ``rebuild`` to say what a reload
    (``SIGHUP``, ``POST /admin/reload``) builds from.
    """
    _configure_logging(settings)
    _guard_credentials(manifest, settings)
    refuse_unsafe_bind(settings)
    app = app if app is not None else create_app(manifest, settings, rebuild=rebuild)
    log_left_out(runtime_state(app).registry)
    endpoint = app.state.mcp_endpoint
    assert isinstance(endpoint, McpEndpoint)
    sock = _listen(settings)
    quiet = _QuietStartup(app)
    server = _Server(uvicorn_config(quiet, settings), runtime_state(app), endpoint)
    logger.info(
        "serving %s on http://%s:%d/mcp", manifest.server.name, settings.http.host, sock.getsockname()[1]
    )
    hold_sse_streams_on_shutdown()
    try:
        server.run(sockets=[sock])
    except SystemExit:  # uvicorn's way to end a failed start-up
        if quiet.failure is not None:
            raise quiet.failure from None
        raise StartupError("the server did not start (see the log above)") from None
    finally:
        hold_sse_streams_on_shutdown()  # reset the process-wide flag for a later server
        sock.close()


def serve_stdio(
    manifest: Manifest,
    settings: Settings,
    *,
    registry: Registry | None = None,
    middleware: Sequence[Middleware] | None = None,
) -> None:
    """Serve ``manifest`` over stdin/stdout until stdin closes (every call through the same pipeline)."""
    # stdout carries the protocol: logs meant for stdout go to stderr instead.
    _configure_logging(settings, stdio=True)
    _guard_credentials(manifest, settings)
    state = RuntimeState(registry if registry is not None else Registry.load(manifest, settings), settings)
    log_left_out(state.registry)
    pipeline = Pipeline(state, configured(settings) if middleware is None else middleware)
    server = build_server(state, pipeline)
    state.mark_serving()
    logger.info("serving %s over stdio", manifest.server.name)

    async def run() -> None:
        try:
            await state.start_connectors()
            await run_stdio(server)
        finally:
            await state.stop_connectors()
            await state.registry.aclose()  # Node workers, if any
            await close_all(pipeline.middleware)

    anyio.run(run, backend_options={"use_uvloop": _have("uvloop")})
