"""Health routes: plain Starlette routes reading the runtime state.

- ``/health``: ``{status, version, server: {name, version}, tools, uptime_seconds, connectors}``;
  ``status`` is ``ok``, ``degraded`` (an optional connector is down),
  ``unavailable`` (a required connector is down), ``starting`` or ``shutting_down``;
  ``connectors`` maps each connector to ``{state, required, kind, circuit, lastError, since}``;
  a connector left out because it failed to load (``mcpgen dev``/``serve``) is there with
  ``state: "invalid"`` and its diagnostic (``lastError``, ``path``, ``line``), and every such
  problem is listed in ``leftOut`` (the server is then ``degraded``)
- ``/health/live``: 200 ``{"status": "ok"}`` while the process answers at all
- ``/health/ready``: 200 once the registry is loaded, the MCP endpoint is
  serving and every required connector is connected; 503 otherwise and from
  the moment shutdown begins
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

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
    return "degraded" if state.connectors.degraded or state.registry.left_out else "ok"


def _invalid(problem: Mapping[str, Any]) -> dict[str, Any]:
    where = f"{problem['path']}:{problem['line']}" if problem.get("line") is not None else problem["path"]
    return {
        "state": "invalid",
        "required": False,
        "lastError": f"{where}: {problem['message']}",
        "path": problem["path"],
        "line": problem.get("line"),
    }


def health_routes(state: RuntimeState) -> list[Route]:
    async def health(request: Request) -> JSONResponse:
        registry = state.registry
        info = registry.manifest.server
        body: dict[str, Any] = {
            "status": _status(state),
            "version": __version__,
            "server": {"name": info.name, "version": info.version},
            "tools": len(registry.tools),
            "uptime_seconds": round(state.uptime, 3),
        }
        left_out = registry.left_out
        if state.connectors or left_out:
            body["connectors"] = state.connectors.snapshot()
        for problem in left_out:
            if str(problem["path"]).startswith("connectors/"):
                name = problem.get("name") or PurePosixPath(str(problem["path"])).stem
                body["connectors"].setdefault(name, _invalid(problem))
        if left_out:
            body["leftOut"] = list(left_out)
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
