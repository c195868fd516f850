"""The admin API under ``/admin/``: reload, stats, sanitized config, debug info.

Mounted only when ``monitoring.admin.token`` is set; every request must carry
``Authorization: Bearer <token>`` (compared in constant time), else 401.

- ``POST /admin/reload``: rebuild the registry (:mod:`.reload`), swap only on success; 200 with what
  changed, or 422 with why it failed (the old tools keep serving);
- ``GET /admin/stats``: uptime, calls per method and target with error rates and p50/p99 (this
  process), in-flight requests, Node workers, connectors, reloads;
- ``GET /admin/config``: the runtime settings, every secret masked;
- ``GET /admin/debug-info``: versions, platform, limits, recent errors (redacted).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mcpgen.runtime.admin.info import RecentErrors, debug_info, sanitized
from mcpgen.runtime.admin.reload import Reloads
from mcpgen.runtime.state import RuntimeState
from mcpgen.runtime.telemetry.metrics import CallStats

Endpoint = Callable[[Request], Awaitable[Response]]


def _guarded(token: str, endpoint: Endpoint) -> Endpoint:
    expected = f"Bearer {token}".encode()

    async def guarded(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return JSONResponse(
                {"error": "admin API: a valid 'Authorization: Bearer <token>' header is required"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="mcpgen-admin"'},
            )
        return await endpoint(request)

    return guarded


def _workers(state: RuntimeState) -> dict[str, Any] | None:
    pool = state.registry.node_pool
    if pool is None:
        return None
    return {
        "size": pool.size,
        "live": len(pool.workers),
        "busy": pool.busy,
        "restarts": pool.restarts,
        "crashes": pool.crashes,
    }


def admin_routes(
    state: RuntimeState,
    token: str,
    reloads: Reloads,
    stats: CallStats | None,
    errors: RecentErrors | None,
    in_flight: Callable[[], int] = lambda: 0,
) -> list[Route]:
    """The ``/admin/*`` routes, each behind the bearer ``token``."""
    started = time.time()

    async def reload(request: Request) -> Response:
        outcome = await reloads.run("admin API")
        return JSONResponse(outcome.to_json(), status_code=200 if outcome.ok else 422)

    async def show_stats(request: Request) -> Response:
        registry = state.registry
        last = reloads.last
        body = {
            "uptimeSeconds": round(state.uptime, 3),
            "ready": state.ready,
            "registry": {
                "tools": len(registry.tools),
                "prompts": len(registry.prompts),
                "resources": len(registry.static_resources) + len(registry.templates),
            },
            "inFlight": in_flight(),
            "calls": stats.snapshot() if stats is not None else [],
            "workers": _workers(state),
            "connectors": state.connectors.snapshot(),
            "reloads": {
                "count": reloads.count,
                "failures": reloads.failures,
                "last": last.to_json() if last is not None else None,
            },
        }
        return JSONResponse(body)

    async def show_config(request: Request) -> Response:
        return JSONResponse(sanitized(state.settings))

    async def show_debug(request: Request) -> Response:
        return JSONResponse(debug_info(state.settings, errors, started))

    return [
        Route("/admin/reload", _guarded(token, reload), methods=["POST"]),
        Route("/admin/stats", _guarded(token, show_stats), methods=["GET"]),
        Route("/admin/config", _guarded(token, show_config), methods=["GET"]),
        Route("/admin/debug-info", _guarded(token, show_debug), methods=["GET"]),
    ]
