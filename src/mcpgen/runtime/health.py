"""Health routes: plain Starlette routes reading the runtime state.

- ``/health``: ``{status, version, server: {name, version}, tools, uptime_seconds, connectors}``;
  ``status`` is ``ok``, ``degraded`` (an optional connector is down),
  ``unavailable`` (a required connector is down), ``starting`` or ``shutting_down``;
  ``connectors`` maps each connector to ``{state, required, kind, circuit, lastError, since}``
- ``/health/live``: 200 ``{"status": "ok"}`` while the process answers at all
- ``/health/ready``: 200 once the registry is loaded, the MCP endpoint is
  serving and every required connector is connected; 503 otherwise and from
  the moment shutdown begins
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mcpgen._version import __version__
from mcpgen.runtime.state import RuntimeState


def _status(state: RuntimeState) -> str:
    if state.shutting_down:
        return "shutting_down"
    if not state.connectors.ready and state.connectors.started:
        return "unavailable"  # a required connector is down
    if not state.ready:
        return "starting"
    return "degraded" if state.connectors.degraded else "ok"


def health_routes(state: RuntimeState) -> list[Route]:
    async def health(request: Request) -> JSONResponse:
        registry = state.registry
        info = registry.manifest.server
        body = {
            "status": _status(state),
            "version": __version__,
            "server": {"name": info.name, "version": info.version},
            "tools": len(registry.tools),
            "uptime_seconds": round(state.uptime, 3),
        }
        if state.connectors:
            body["connectors"] = state.connectors.snapshot()
        return JSONResponse(body)

    async def live(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> JSONResponse:
        return JSONResponse({"status": _status(state)}, status_code=200 if state.ready else 503)

    return [
        Route("/health", health, methods=["GET"]),
        Route("/health/live", live, methods=["GET"]),
        Route("/health/ready", ready, methods=["GET"]),
    ]
