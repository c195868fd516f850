"""The configured middleware of the call pipeline, one module each, in the chain's order.

:func:`configured` is the chain's list: auth → RBAC → rate limit → cache →
metrics/tracing/audit, each entry present only when its config section turns it
on. Adding a middleware means writing its module here (one class, one async
``__call__(call, call_next)``, its settings taken in the constructor, and an
``aclose()`` if it holds connections) and adding one line to :func:`configured`
-- nothing else changes. See "The call
pipeline" in docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from mcpgen.runtime.middleware.ratelimit import RateLimit
from mcpgen.runtime.pipeline import Middleware
from mcpgen.runtime.settings import Settings


def configured(settings: Settings) -> list[Middleware]:
    """The middleware ``settings`` switch on, outermost first."""
    chain: list[Middleware] = []
    if settings.limits.enabled:
        chain.append(RateLimit(settings.limits))
    return chain


async def close_all(chain: Sequence[Middleware]) -> None:
    """Let each middleware that holds connections (an ``aclose()`` method) close them, at shutdown."""
    for step in chain:
        close = getattr(step, "aclose", None)
        if close is not None:
            await close()
