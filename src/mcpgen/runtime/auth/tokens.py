"""Bearer token verification: JWTs (a JWKS URL or a static key) and RFC 7662 introspection.

:class:`JwtVerifier` checks signature, ``exp``/``nbf``/``iat`` (with leeway),
``iss`` and ``aud``. With a JWKS URL the key set is fetched on first use,
cached for ``jwks_cache_seconds`` and refetched at once when a token names a
``kid`` the cache does not hold (key rotation), at most once per
:attr:`JwtVerifier.refetch_interval` so tokens with made-up ``kid`` values
cannot make the server hammer the issuer.

:class:`Introspector` asks the authorization server about an opaque token
(``active``, ``exp``, ``aud``) with the client's credentials; an active answer
is reused for up to :attr:`Introspector.cache_seconds` (never past ``exp``).

Both return a :class:`~mcpgen.runtime.pipeline.ClientIdentity` or raise
:class:`AuthFailed` with a message that is safe to send back (it never
contains the token).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx
import jwt

from mcpgen.runtime.auth.settings import AuthFailed, JwtSettings, OAuthSettings
from mcpgen.runtime.pipeline import ClientIdentity

logger = logging.getLogger("mcpgen.runtime.auth")
FETCH_TIMEOUT = 5.0


def claim(claims: Mapping[str, Any], path: str) -> Any:
    """``claims[path]``, where dots in ``path`` step into nested objects (``realm_access.roles``)."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def names(value: Any) -> frozenset[str]:
    """A claim holding names: a space-separated string or a list of strings."""
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list | tuple):
        return frozenset(str(v) for v in value if isinstance(v, str | int))
    return frozenset()


def identity(claims: Mapping[str, Any], settings: JwtSettings, via: str) -> ClientIdentity:
    """The caller a verified token describes (roles and scopes from the configured claims)."""
    subject = claim(claims, settings.client_id_claim) or claims.get("client_id") or claims.get("sub")
    scopes = names(claim(claims, settings.scopes_claim))
    if not scopes and settings.scopes_claim == "scope":
        scopes = names(claims.get("scp"))
    kept = {k: v for k, v in claims.items() if k in ("iss", "sub", "aud", "client_id", "exp", "jti")}
    return ClientIdentity(
        id=str(subject) if subject is not None else "unknown",
        via=via,
        roles=names(claim(claims, settings.roles_claim)),
        scopes=scopes,
        claims=kept,
    )


def audiences(settings: JwtSettings, oauth: OAuthSettings) -> tuple[str, ...]:
    """The ``aud`` values accepted: configured, else the OAuth resource (with and without a trailing slash)."""
    if settings.audience:
        return settings.audience
    resource = oauth.resource
    if not resource:
        return ()
    bare = resource.rstrip("/")
    return (bare, bare + "/")


class JwtVerifier:
    """Verifies JWT bearer tokens against a static key or a cached, self-refreshing JWKS."""

    refetch_interval = 10.0
    """Least seconds between two JWKS fetches caused by unknown ``kid`` values."""

    def __init__(self, settings: JwtSettings, audience: tuple[str, ...], via: str = "jwt") -> None:
        self.settings = settings
        self.audience = audience
        self.via = via
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched = float("-inf")
        self._lock = asyncio.Lock()
        self.fetches = 0
        """JWKS fetches so far (tests and logs read it)."""

    async def verify(self, token: str) -> ClientIdentity:
        settings = self.settings
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthFailed("the bearer token is not a valid JWT", final=False) from None
        key: Any
        if settings.public_key is not None:
            key = settings.public_key
        else:
            key = await self._key(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(settings.algorithms),
                audience=list(self.audience) or None,
                issuer=settings.issuer,
                leeway=settings.leeway,
                options={"verify_aud": bool(self.audience), "require": ["exp"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthFailed("the bearer token has expired", reason="expired") from None
        except jwt.InvalidAudienceError:
            raise AuthFailed("the bearer token was not issued for this server (audience)") from None
        except jwt.InvalidIssuerError:
            raise AuthFailed("the bearer token comes from another issuer") from None
        except jwt.PyJWTError as exc:
            raise AuthFailed(f"the bearer token is invalid ({type(exc).__name__})") from None
        return identity(claims, settings, self.via)

    async def _key(self, kid: Any) -> jwt.PyJWK:
        if not isinstance(kid, str):
            raise AuthFailed("the bearer token names no key (kid)", final=False)
        now = time.monotonic()
        stale = now - self._fetched > self.settings.jwks_cache_seconds
        if kid not in self._keys or stale:
            async with self._lock:
                now = time.monotonic()
                stale = now - self._fetched > self.settings.jwks_cache_seconds
                if stale or (kid not in self._keys and now - self._fetched >= self.refetch_interval):
                    await self._fetch()
        found = self._keys.get(kid)
        if found is None:
            raise AuthFailed("the bearer token is signed with a key the issuer does not publish", final=False)
        return found

    async def _fetch(self) -> None:
        url = self.settings.jwks_url
        assert url is not None
        try:
            async with httpx.AsyncClient(timeout=FETCH_TIMEOUT) as client:
                response = await client.get(url)
                response.raise_for_status()
                keyset = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            logger.warning("cannot fetch the JWKS from %s: %s", url, exc)
            raise AuthFailed(
                "the server cannot check bearer tokens right now (JWKS unavailable)", reason="unavailable"
            ) from None
        self._keys = {k.key_id: k for k in keyset.keys if k.key_id}
        self._fetched = time.monotonic()
        self.fetches += 1
        logger.info("fetched %d signing keys from %s", len(self._keys), url)


class Introspector:
    """RFC 7662 token introspection: the authorization server says whether a token is active, and for whom."""

    cache_seconds = 30.0
    """How long an active answer is reused (a token revoked at the server keeps working this long at most)."""
    cache_limit = 10_000

    def __init__(self, oauth: OAuthSettings, jwt_settings: JwtSettings, audience: tuple[str, ...]) -> None:
        assert oauth.introspection_url is not None
        self.url = oauth.introspection_url
        self.auth = (oauth.client_id, oauth.client_secret or "") if oauth.client_id else None
        self.jwt_settings = jwt_settings
        self.audience = frozenset(audience)
        self._cache: dict[str, tuple[float, ClientIdentity]] = {}
        self.requests = 0
        """Introspection requests sent so far."""

    async def verify(self, token: str) -> ClientIdentity:
        digest = hashlib.sha256(token.encode()).hexdigest()  # never keep the token itself
        cached = self._cache.get(digest)
        now = time.time()
        if cached is not None and cached[0] > now:
            return cached[1]
        client = await self._introspect(token)
        exp = client.claims.get("exp")
        until = now + self.cache_seconds
        if isinstance(exp, int | float):
            until = min(until, exp)
        if len(self._cache) >= self.cache_limit:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            if len(self._cache) >= self.cache_limit:
                self._cache.clear()
        self._cache[digest] = (until, client)
        return client

    async def _introspect(self, token: str) -> ClientIdentity:
        self.requests += 1
        try:
            async with httpx.AsyncClient(timeout=FETCH_TIMEOUT, auth=self.auth) as client:
                response = await client.post(self.url, data={"token": token})
                response.raise_for_status()
                info = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("token introspection at %s failed: %s", self.url, exc)
            raise AuthFailed(
                "the server cannot check bearer tokens right now (introspection failed)", reason="unavailable"
            ) from None
        if not isinstance(info, dict) or info.get("active") is not True:
            raise AuthFailed("the bearer token is not active", reason="revoked")
        exp = info.get("exp")
        if isinstance(exp, int | float) and exp + self.jwt_settings.leeway < time.time():
            raise AuthFailed("the bearer token has expired", reason="expired")
        if self.audience and not (names(info.get("aud")) & self.audience):
            raise AuthFailed("the bearer token was not issued for this server (audience)")
        return identity(info, self.jwt_settings, "oauth")
