"""The configured middleware of the call pipeline, one module each, in the chain's order.

:func:`configured` is the chain's list: tracing → metrics → audit → RBAC →
rate limit → result cache, each entry present only when its config section turns it on.
Authentication itself happens before the pipeline, in the ASGI layer in front
of ``/mcp`` (:mod:`mcpgen.runtime.auth.gate`), which sets
``CallContext.client``; tracing and metrics come first so that refused calls
are traced and counted (``outcome="rejected"``), then the audit log, so that
calls the authorization middleware refuses are recorded too. Adding a middleware
means writing its module here (one class, one async ``__call__(call,
call_next)``, its settings taken in the constructor, and an ``aclose()`` if it
holds connections; ``changes_listings = False`` on the class when it leaves
listings as they are, so the fast path may serve them cached) and adding one
line to :func:`configured` -- nothing else changes. See "The call
pipeline" in docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mcpgen.runtime.middleware.audit import Audit, AuditLog
from mcpgen.runtime.middleware.ratelimit import RateLimit
from mcpgen.runtime.middleware.rbac import Rbac
from mcpgen.runtime.pipeline import Middleware
from mcpgen.runtime.settings import Settings

if TYPE_CHECKING:
    from mcpgen.manifest import Manifest
    from mcpgen.runtime.telemetry.metrics import Instruments


def configured(settings: Settings, manifest: Manifest | None = None) -> list[Middleware]:
    """The middleware ``settings`` switch on, outermost first (``manifest``: whose tools may be cached)."""
    chain: list[Middleware] = []
    instruments: Instruments | None = None
    monitoring = settings.monitoring
    if monitoring.tracing:  # outermost with metrics: refused calls are traced and counted too
        from mcpgen.runtime.middleware.tracing import Tracing  # the OpenTelemetry SDK loads only when on

        chain.append(Tracing.configured(settings))
    if monitoring.metrics or monitoring.admin_token or settings.logging.access_log:
        from mcpgen.runtime.middleware.metrics import Metrics

        metrics = Metrics.configured(settings)
        instruments = metrics.instruments
        chain.append(metrics)
    auth = settings.auth
    if auth.audit.enabled:
        log = AuditLog(auth.audit.file)
        chain.append(
            Audit(log, include_arguments=auth.audit.include_arguments, secrets=settings.secret_values)
        )
    if auth.roles:
        chain.append(Rbac(auth.roles, auth.default_roles))
    if settings.limits.enabled:
        chain.append(RateLimit(settings.limits))
    caches = settings.tool_caches
    if any(c.ttl for c in caches.values()) or (
        manifest is not None and any(t.cache_ttl for t in manifest.tools)
    ):
        from mcpgen.runtime.middleware.cache import RedisStore, ResultCache

        redis = settings.limits.redis_url
        chain.append(ResultCache(caches, RedisStore(redis) if redis else None, instruments))
    return chain


async def close_all(chain: Sequence[Middleware]) -> None:
    """Let each middleware that holds connections (an ``aclose()`` method) close them, at shutdown."""
    for step in chain:
        close = getattr(step, "aclose", None)
        if close is not None:
            await close()
