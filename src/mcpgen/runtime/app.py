"""``create_app(manifest, settings)``: the generated server as a Starlette app.

Routes: ``/mcp`` (MCP Streamable HTTP: the fast path, or the SDK's session
managers entered in this app's lifespan), ``/health``, ``/health/live``,
``/health/ready``, ``/metrics`` (``monitoring.metrics``), ``/admin/*``
(``monitoring.admin.token``, :mod:`mcpgen.runtime.admin`), every response with
security headers (:class:`~mcpgen.runtime.transport.security.SecurityHeaders`;
CORS only when ``server.cors.allow_origins`` is set). ``SIGHUP`` reloads (when
the app runs on the main thread). Every call runs through one
:class:`~mcpgen.runtime.pipeline.Pipeline`, whichever path brought it.

The app keeps its state on ``app.state.mcpgen`` (a :class:`RuntimeState`);
``mcpgen dev`` reloads with::

    state = runtime_state(app)
    state.swap(Registry.load(new_manifest, settings, purge=True))

and can listen for swaps with ``state.subscribe(listener)``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware as AsgiMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mcpgen.manifest import Manifest
from mcpgen.runtime.admin import admin_routes
from mcpgen.runtime.admin.info import RecentErrors
from mcpgen.runtime.admin.reload import Rebuild, Reloads
from mcpgen.runtime.auth.gate import guarded
from mcpgen.runtime.executors import ThreadPool
from mcpgen.runtime.health import health_routes
from mcpgen.runtime.middleware import close_all, configured
from mcpgen.runtime.middleware.metrics import Metrics
from mcpgen.runtime.pipeline import Middleware, Pipeline
from mcpgen.runtime.registry import Registry
from mcpgen.runtime.settings import Settings
from mcpgen.runtime.state import RuntimeState
from mcpgen.runtime.telemetry.metrics import CONTENT_TYPE, Instruments, StateCollector, exposition
from mcpgen.runtime.transport.fastpath import FastPath
from mcpgen.runtime.transport.http import McpEndpoint
from mcpgen.runtime.transport.resource_metadata import metadata_routes
from mcpgen.runtime.transport.sdk import build_server
from mcpgen.runtime.transport.security import SecurityHeaders

MCP_PATH = "/mcp"
logger = logging.getLogger("mcpgen.runtime")


def create_app(
    manifest: Manifest,
    settings: Settings,
    *,
    registry: Registry | None = None,
    threads: ThreadPool | None = None,
    middleware: Sequence[Middleware] | None = None,
    rebuild: Rebuild | None = None,
) -> Starlette:
    """Build the app for ``manifest``; imports the listed modules now (raises ``LoadError``).

    Pass ``registry`` when it is already loaded (``mcpgen dev``), ``threads``
    to size the pool sync tools run in yourself, ``middleware`` to set the
    steps of the call pipeline yourself (default: what ``settings`` configure,
    :func:`mcpgen.runtime.middleware.configured`; see :mod:`mcpgen.runtime.pipeline`),
    ``rebuild`` to say how a reload builds the new registry (default: the same
    manifest, its modules imported afresh; see :mod:`mcpgen.runtime.admin.reload`).
    """
    loaded = registry if registry is not None else Registry.load(manifest, settings)
    state = RuntimeState(loaded, settings, threads)
    state.subscribe(lambda old, new: old.close_soon() if old is not new else None)  # old Node workers
    pipeline = Pipeline(state, configured(settings) if middleware is None else middleware)
    server = build_server(state, pipeline)
    fast = FastPath(pipeline, server.server_info_stamp) if settings.http.fast_path else None
    endpoint = McpEndpoint(server, settings, lambda: state.registry, fast)
    observed = next((m for m in pipeline.middleware if isinstance(m, Metrics)), None)
    monitoring = settings.monitoring
    instruments = observed.instruments if observed is not None else None
    if monitoring.metrics and instruments is None:
        instruments = Instruments()  # middleware of the caller's choosing: the scrape-time metrics still
    reloads = Reloads(state, rebuild, instruments)
    counted = instruments.auth_failed if monitoring.metrics and instruments is not None else None
    errors = RecentErrors() if monitoring.admin_token else None
    mcp_app = guarded(endpoint, settings, counted)
    routes = [
        Route(MCP_PATH, endpoint=mcp_app),
        *metadata_routes(settings.auth, manifest.server.name),
        *health_routes(state),
    ]
    if monitoring.metrics and instruments is not None:
        collector = StateCollector(lambda: state, lambda: endpoint.sessions)
        instruments.registry.register(collector)
        endpoint.observe_size = instruments.request_size.observe
        routes.append(_metrics_route(monitoring.metrics_path, instruments, collector))
    if monitoring.admin_token:
        stats = observed.stats if observed is not None else None
        routes += admin_routes(
            state, monitoring.admin_token, reloads, stats, errors, lambda: endpoint.in_flight
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        reloads.bind(loop)
        hup = _on_sighup(loop, reloads)
        if errors is not None:
            logging.getLogger().addHandler(errors)
        try:
            await state.start_connectors()  # ConnectorStartError: whoever serves the app reports it
            async with endpoint.run():
                state.mark_serving()
                try:
                    yield
                finally:
                    state.begin_shutdown()
                    served = endpoint.served
                    logger.info(
                        "answered %d requests on the fast path, %d on the SDK path",
                        served["fast"],
                        served["sdk"],
                    )
        finally:
            await state.stop_connectors()
            await state.registry.aclose()  # Node workers of TS/JS tools, if any
            await close_all(pipeline.middleware)
            reloads.bind(None)
            if hup:
                loop.remove_signal_handler(signal.SIGHUP)
            if errors is not None:
                logging.getLogger().removeHandler(errors)

    asgi_middleware = [AsgiMiddleware(SecurityHeaders, mcp_path=MCP_PATH)]
    cors = settings.security.cors
    if cors.allow_origins:
        asgi_middleware.append(
            AsgiMiddleware(
                CORSMiddleware,
                allow_origins=list(cors.allow_origins),
                allow_methods=list(cors.allow_methods),
                allow_headers=list(cors.allow_headers),
                expose_headers=list(cors.expose_headers),
                allow_credentials=cors.allow_credentials,
                max_age=cors.max_age,
            )
        )
    app = _App(routes=routes, lifespan=lifespan, middleware=asgi_middleware)
    if len(asgi_middleware) == 1:  # no CORS: /mcp needs nothing of Starlette's stack but the headers
        app.direct = SecurityHeaders(mcp_app, mcp_path=MCP_PATH)
    app.state.mcpgen = state
    app.state.mcp_server = server
    app.state.mcp_pipeline = pipeline
    app.state.mcp_endpoint = endpoint
    app.state.mcp_reloads = reloads
    return app


class _App(Starlette):
    """Starlette, with requests to exactly ``/mcp`` handed straight to the MCP endpoint when ``direct``
    is set (no router, no exception middleware: the endpoint answers every failure itself).

    Every MCP request pays for Starlette's error and exception middleware and route matching
    otherwise, a few microseconds of the fast path's budget. ``/mcp/`` and every other path take the
    usual route.
    """

    direct: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        direct = self.direct
        if direct is not None and scope["type"] == "http" and scope["path"] == MCP_PATH:
            scope["app"] = self
            await direct(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _metrics_route(path: str, instruments: Instruments, collector: StateCollector) -> Route:
    async def metrics(request: Request) -> Response:
        return Response(exposition(instruments, collector), media_type=CONTENT_TYPE)

    return Route(path, metrics, methods=["GET"])


def _on_sighup(loop: asyncio.AbstractEventLoop, reloads: Reloads) -> bool:
    """Reload on ``SIGHUP``; False where signals cannot be handled (not the main thread, Windows)."""
    sighup = getattr(signal, "SIGHUP", None)
    if sighup is None:
        return False
    try:
        loop.add_signal_handler(sighup, reloads.on_signal)
    except (RuntimeError, ValueError, NotImplementedError):
        return False
    return True


def runtime_state(app: Any) -> RuntimeState:
    """The :class:`RuntimeState` of an app made by :func:`create_app`."""
    state = app.state.mcpgen
    assert isinstance(state, RuntimeState)
    return state
