"""Health routes: plain Starlette routes reading the runtime state.

- ``/health``: ``{status, version, server: {name, version}, tools, uptime_seconds}``
- ``/health/live``: 200 ``{"status": "ok"}`` while the process answers at all
- ``/health/ready``: 200 once the registry is loaded and the MCP endpoint is
  serving, 503 before that and from the moment shutdown begins
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
    return "ok" if state.ready else "starting"


def health_routes(state: RuntimeState) -> list[Route]:
    async def health(request: Request) -> JSONResponse:
        registry = state.registry
        info = registry.manifest.server
        return JSONResponse(
            {
                "status": _status(state),
                "version": __version__,
                "server": {"name": info.name, "version": info.version},
                "tools": len(registry.tools),
                "uptime_seconds": round(state.uptime, 3),
            }
        )

    async def live(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> JSONResponse:
        return JSONResponse({"status": _status(state)}, status_code=200 if state.ready else 503)

    return [
        Route("/health", health, methods=["GET"]),
        Route("/health/live", live, methods=["GET"]),
        Route("/health/ready", ready, methods=["GET"]),
    ]
