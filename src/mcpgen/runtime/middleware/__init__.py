"""The configured middleware of the call pipeline, one module each, in the chain's order.

:func:`configured` is the chain's list: auth → RBAC → rate limit → cache →
metrics/tracing/audit, each entry present only when its config section turns it
on. Adding a middleware means writing its module here (one class, one async
``__call__(call, call_next)``, its settings taken in the constructor) and
adding one line to :func:`configured` -- nothing else changes. See "The call
pipeline" in docs/architecture.md.
"""

from __future__ import annotations

from mcpgen.runtime.pipeline import Middleware
from mcpgen.runtime.settings import Settings


def configured(settings: Settings) -> list[Middleware]:
    """The middleware ``settings`` switch on, outermost first."""
    chain: list[Middleware] = []
    monitoring = settings.monitoring
    if monitoring.tracing:
        from mcpgen.runtime.middleware.tracing import Tracing  # the OpenTelemetry SDK loads only when on

        chain.append(Tracing.configured(settings))
    if monitoring.metrics or monitoring.admin_token or settings.logging.access_log:
        from mcpgen.runtime.middleware.metrics import Metrics

        chain.append(Metrics.configured(settings))
    return chain
