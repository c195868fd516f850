"""Authentication in front of ``/mcp``: an ASGI layer that answers 401 before any JSON-RPC is read.

::

    request ─▶ AuthGate ─▶ credentials?  none ─▶ 401 WWW-Authenticate: Bearer resource_metadata="…"
                              │          refused ─▶ 401 Bearer error="invalid_token"
                              ▼
                  scope["mcpgen.client"] = ClientIdentity ─▶ /mcp (fast path │ SDK) ─▶ CallContext.client

Credentials: ``X-API-Key: <key>`` or ``Authorization: Bearer <token>``. A
bearer token that starts with ``mcpgen_`` is an API key; any other is a JWT
(verified locally when ``server.auth.jwt`` has a key source) or, failing
that, introspected (``server.auth.oauth.introspection_url``). The 401 is
plain HTTP, the same on the fast path and the SDK path, as the MCP
authorization spec asks; with ``server.auth.oauth.resource`` set the
Protected Resource Metadata (RFC 9728) is served at
``/.well-known/oauth-protected-resource[/<path>]`` and named in the 401.

stdio is never authenticated: it is a local process talking to its parent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

from mcpgen.errors import ConfigError, McpgenError
from mcpgen.runtime.auth.settings import AuthFailed, AuthSettings
from mcpgen.runtime.pipeline import CLIENT_SCOPE_KEY, ClientIdentity
from mcpgen.runtime.settings import Settings
from mcpgen.runtime.transport.resource_metadata import metadata_url
from mcpgen.secrets.api_keys import KEY_PREFIX, KEYS_FILE, ApiKey, hash_key, key_table, read_keys

logger = logging.getLogger("mcpgen.runtime.auth")
RELOAD_EVERY = 1.0
"""Seconds between checks of the API key file for changes (a revoked key stops working within this)."""


class ApiKeys:
    """The hashed key file, re-read when it changes (checked at most every :data:`RELOAD_EVERY` seconds)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._table: dict[str, tuple[ApiKey, ClientIdentity, float | None]] = {}
        self._stamp: tuple[int, int] | None = None
        self._checked = float("-inf")
        self._reload()

    def _reload(self) -> None:
        try:
            stat = self.path.stat()
            stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp == self._stamp and self._table:
            return
        try:
            keys = read_keys(self.path) if stamp is not None else {}
        except McpgenError as exc:  # keep the last good table
            logger.error("%s", exc)
            return
        self._table = {
            digest: (
                key,
                ClientIdentity(id=key.name, via="api_key", roles=frozenset({key.role})),
                datetime.fromisoformat(key.expires).timestamp() if key.expires else None,
            )
            for digest, key in key_table(keys).items()
        }
        self._stamp = stamp

    def check(self, presented: str) -> ClientIdentity:
        now = time.monotonic()
        if now - self._checked >= RELOAD_EVERY:
            self._checked = now
            self._reload()
        found = self._table.get(hash_key(presented))
        if found is None:  # one of ours once (revoked) or not even shaped like one
            reason = "revoked" if presented.startswith(KEY_PREFIX) else "invalid"
            raise AuthFailed("unknown or revoked API key", reason=reason)
        _, client, expires = found
        if expires is not None and expires <= time.time():
            raise AuthFailed("the API key has expired", reason="expired")
        return client


class Authenticator:
    """Turns a request's credentials into a :class:`ClientIdentity` (or refuses them)."""

    def __init__(self, settings: AuthSettings, root: Path) -> None:
        self.settings = settings
        path = settings.api_keys_file or root / ".mcpgen" / KEYS_FILE
        self.api_keys = ApiKeys(path) if settings.api_keys else None
        # pyjwt, cryptography and httpx only for servers that check tokens
        from mcpgen.runtime.auth.tokens import Introspector, JwtVerifier, audiences

        audience = audiences(settings.jwt, settings.oauth)
        via = "oauth" if settings.oauth.resource else "jwt"
        self.jwt = JwtVerifier(settings.jwt, audience, via) if settings.jwt.enabled else None
        self.introspector = (
            Introspector(settings.oauth, settings.jwt, audience) if settings.oauth.introspection_url else None
        )

    async def authenticate(self, authorization: bytes | None, api_key: bytes | None) -> ClientIdentity:
        """The caller, from ``Authorization`` / ``X-API-Key`` header values (raises :class:`AuthFailed`)."""
        if api_key is not None:
            if self.api_keys is None:
                raise AuthFailed("this server does not accept API keys")
            return self.api_keys.check(api_key.decode("latin-1").strip())
        assert authorization is not None
        scheme, _, token = authorization.decode("latin-1").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthFailed("expected Authorization: Bearer <token>")
        if token.startswith(KEY_PREFIX) and self.api_keys is not None:
            return self.api_keys.check(token)
        if self.jwt is not None and token.count(".") == 2:
            try:
                return await self.jwt.verify(token)
            except AuthFailed as exc:
                if exc.final or self.introspector is None:
                    raise
        if self.introspector is not None:
            return await self.introspector.verify(token)
        raise AuthFailed(  # not shaped like an API key, and no token check judged it
            "unknown or revoked API key" if self.api_keys is not None else "invalid bearer token"
        )


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


class AuthGate:
    """ASGI: requests without acceptable credentials get 401; others go on with ``scope["mcpgen.client"]``."""

    def __init__(
        self,
        app: ASGIApp,
        authenticator: Authenticator,
        metadata_url: str | None = None,
        on_refusal: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.on_refusal = on_refusal
        """Told the reason of each 401 (``missing`` or :attr:`AuthFailed.reason`): the metrics count them."""
        self.challenge = (
            f'Bearer resource_metadata="{metadata_url}"' if metadata_url else 'Bearer realm="mcp"'
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorization = api_key = None
        for key, value in scope["headers"]:
            if key == b"authorization":
                authorization = value
            elif key == b"x-api-key":
                api_key = value
        if authorization is None and api_key is None:
            if self.on_refusal is not None:
                self.on_refusal("missing")
            await self._refuse(send, "invalid_request", "authentication required")
            return
        try:
            client = await self.authenticator.authenticate(authorization, api_key)
        except AuthFailed as exc:
            if self.on_refusal is not None:
                self.on_refusal(exc.reason)
            await self._refuse(send, "invalid_token", exc.message)
            return
        scope[CLIENT_SCOPE_KEY] = client
        await self.app(scope, receive, send)

    async def _refuse(self, send: Send, error: str, description: str) -> None:
        challenge = f'{self.challenge}, error="{error}", error_description="{_quote(description)}"'
        body = b'{"error":"%s","error_description":"%s"}' % (
            error.encode(),
            _quote(description).encode(),
        )
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", b"%d" % len(body)),
                    (b"www-authenticate", challenge.encode("latin-1")),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def guarded(app: ASGIApp, settings: Settings, on_refusal: Callable[[str], None] | None = None) -> ASGIApp:
    """``app`` behind an :class:`AuthGate` when ``server.auth`` turns authentication on.

    ``on_refusal`` is told the reason of each 401 (see :attr:`AuthGate.on_refusal`).
    """
    auth = settings.auth
    if not auth.enabled:
        return app
    return AuthGate(app, Authenticator(auth, settings.root), metadata_url(auth), on_refusal)


def refuse_unsafe_bind(settings: Settings) -> None:
    """Refuse to serve a public bind that lets any web page or any host in (raises ``ConfigError``)."""
    if settings.loopback or settings.security.allowed_hosts or settings.auth.enabled:
        return
    raise ConfigError(
        f"refusing to serve on {settings.http.host}: a non-loopback bind needs server.allowed_hosts "
        "(the host names clients use, e.g. [mcp.example.com, 'localhost:*']; plus server.allowed_origins for "
        "browser clients) or authentication (server.auth.api_keys: true with `mcpgen keys create`, "
        "server.auth.jwt or server.auth.oauth); or bind 127.0.0.1",
        key="server.allowed_hosts",
    )
