"""Host/Origin (DNS-rebinding) protection, the same on the fast path and the SDK path.

Decided by :func:`transport_security`:

- bound to a loopback address: on, allowing ``127.0.0.1``, ``localhost`` and
  ``[::1]`` on any port, plus the configured ``allowed_hosts`` /
  ``allowed_origins``;
- bound to anything else (a container, ``0.0.0.0``): the Host check is on
  only when ``allowed_hosts`` is configured -- a container is never locked
  to loopback; without it :class:`OriginGuard` still answers 403 to a
  browser ``Origin`` that is neither same-origin nor on ``allowed_origins``.

:class:`HostCheck` applies the SDK's rules (``TransportSecurityMiddleware``)
to raw ASGI headers, so the fast path answers exactly what the SDK would,
without building a ``Request``.
"""

from __future__ import annotations

from collections.abc import Sequence

from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcpgen.runtime.settings import Settings

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def _with_ports(names: Sequence[str], scheme: str = "") -> list[str]:
    return [f"{scheme}{name}{suffix}" for name in names for suffix in ("", ":*")]


def transport_security(settings: Settings) -> TransportSecuritySettings | None:
    """The SDK's Host/Origin settings for ``settings`` (``None``: no Host check)."""
    allow = settings.security
    if settings.loopback:
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=[*_with_ports(LOOPBACK_HOSTS), *allow.allowed_hosts],
            allowed_origins=[
                *_with_ports(LOOPBACK_HOSTS, "http://"),
                *_with_ports(LOOPBACK_HOSTS, "https://"),
                *allow.allowed_origins,
            ],
        )
    if allow.allowed_hosts:
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=list(allow.allowed_hosts),
            allowed_origins=list(allow.allowed_origins),
        )
    return None


def _matches(value: str, allowed: Sequence[str]) -> bool:
    """The SDK's matching rule: exact, or ``base:*`` for ``base:PORT``."""
    if value in allowed:
        return True
    return any(a.endswith(":*") and value.startswith(a[:-1]) for a in allowed)


def origin_allowed(origin: str, allowed: Sequence[str]) -> bool:
    """Whether ``origin`` is on ``allowed`` (exact, or ``scheme://host:*`` for any port)."""
    return _matches(origin, allowed)


def same_origin(origin: str, host: str | None) -> bool:
    """Whether a browser ``Origin`` names the host the request was sent to (``Host``)."""
    _, _, rest = origin.partition("://")
    return bool(host) and rest.rstrip("/").lower() == str(host).lower()


class HostCheck:
    """Whether a request passes the Host/Origin rules, read from raw headers (no allocation when it does)."""

    __slots__ = ("hosts", "origins", "protect")

    def __init__(self, settings: Settings) -> None:
        security = transport_security(settings)
        self.protect = security is not None
        self.hosts: tuple[str, ...] = tuple(security.allowed_hosts) if security is not None else ()
        self.origins: tuple[str, ...] = (
            tuple(security.allowed_origins)
            if security is not None
            else tuple(settings.security.allowed_origins)
        )

    def passes(self, host: str | None, origin: str | None) -> bool:
        """``True`` when the SDK (or :class:`OriginGuard`) would let this request through."""
        if not self.protect:
            return not origin or origin_allowed(origin, self.origins) or same_origin(origin, host)
        if not host or not _matches(host, self.hosts):
            return False
        return not origin or _matches(origin, self.origins)


class OriginGuard:
    """403 for a browser request from another site (used when there is no Host allow-list).

    Allowed: no ``Origin`` (not a browser), an ``Origin`` on ``allowed_origins``,
    or one naming the very host the request went to (same origin). So a
    container bound to 0.0.0.0 answers any host name it is reached by, but a
    page on another site cannot drive it through the visitor's browser.
    """

    def __init__(self, app: ASGIApp, allowed_origins: Sequence[str]) -> None:
        self.app = app
        self.allowed = tuple(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            if (
                origin
                and not origin_allowed(origin, self.allowed)
                and not same_origin(origin, headers.get("host"))
            ):
                await PlainTextResponse("Invalid Origin header", status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


_FRAME_AND_SNIFF = ((b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"))
_NO_STORE = (*_FRAME_AND_SNIFF, (b"cache-control", b"no-store"))


class SecurityHeaders:
    """Security headers on every HTTP response: ``nosniff`` and ``DENY`` framing; ``no-store`` on ``/mcp``.

    Pure ASGI and precomputed: each response gets the fixed list appended
    (a header the app already set, such as an SSE stream's ``Cache-Control``,
    is left as the app set it).
    """

    def __init__(self, app: ASGIApp, mcp_path: str = "/mcp") -> None:
        self.app = app
        self.mcp_path = mcp_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = _NO_STORE if scope["path"] == self.mcp_path else _FRAME_AND_SNIFF

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {key.lower() for key, _ in headers}
                headers.extend(item for item in extra if item[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)
