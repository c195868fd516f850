"""How a connector's pooled ``httpx`` client authenticates, from its ``auth=`` and credential roles.

- ``token`` / ``api_key``: ``Authorization: Bearer <value>``, or the raw value
  in the header the connector names (``auth_header="X-Api-Key"``);
- ``basic``: the ``username`` and ``password`` credentials;
- ``oauth2`` with a token URL: the refresh-token grant (``client_id``,
  ``client_secret``, ``refresh_token``); the access token is cached until
  shortly before ``expires_in`` and refreshed once when the service answers
  401; a refused refresh is a :class:`~mcpgen.ConnectorAuthError`.
  Without a token URL the connector handles tokens itself (e.g. ``google-auth``).
- ``none``: nothing.

Token values never reach a log line or an error message.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator

import httpx

from mcpgen.authoring import ConnectorAuthError, ConnectorDefinition, ConnectorSettings

_EARLY = 30.0
"""Refresh this many seconds before the access token expires."""


def _first(settings: ConnectorSettings, *roles: str) -> str | None:
    return next((value for role in roles if (value := settings.find(role)) is not None), None)


class OAuth2RefreshAuth(httpx.Auth):
    """The OAuth 2.0 refresh-token grant, refreshing on expiry and once on a 401."""

    def __init__(
        self,
        name: str,
        token_url: str,
        client_id: str,
        client_secret: str | None,
        refresh_token: str,
        scopes: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._scopes = scopes
        self._access: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.refreshes = 0

    def _fresh(self) -> bool:
        return self._access is not None and time.monotonic() < self._expires_at - _EARLY

    def _refresh_request(self) -> httpx.Request:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
            "client_id": self._client_id,
        }
        if self._client_secret:
            form["client_secret"] = self._client_secret
        if self._scopes:
            form["scope"] = " ".join(self._scopes)
        return httpx.Request("POST", self.token_url, data=form, headers={"Accept": "application/json"})

    async def _accept(self, response: httpx.Response) -> None:
        await response.aread()
        if response.status_code != 200:
            reason = ""
            try:
                body = response.json()
                reason = str(body.get("error_description") or body.get("error") or "")
            except ValueError:
                pass
            raise ConnectorAuthError(
                f"connector '{self.name}': the token endpoint refused the refresh token "
                f"(HTTP {response.status_code}{': ' + reason if reason else ''})",
                connector=self.name,
            )
        try:
            body = response.json()
            token = str(body["access_token"])
        except (ValueError, KeyError, TypeError):
            raise ConnectorAuthError(
                f"connector '{self.name}': the token endpoint answered without an access_token",
                connector=self.name,
            ) from None
        expires = body.get("expires_in")
        self._access = token
        self._expires_at = time.monotonic() + (float(expires) if isinstance(expires, int | float) else 3600.0)
        self.refreshes += 1

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if not self._fresh():
            async with self._lock:
                if not self._fresh():
                    await self._accept((yield self._refresh_request()))
        request.headers["Authorization"] = f"Bearer {self._access}"
        response = yield request
        if response.status_code != 401:
            return
        async with self._lock:  # the token may have been revoked or expired early: refresh once
            self._access = None
            await self._accept((yield self._refresh_request()))
        request.headers["Authorization"] = f"Bearer {self._access}"
        response = yield request
        if response.status_code == 401:
            raise ConnectorAuthError(
                f"connector '{self.name}': the service rejected a freshly refreshed access token (HTTP 401)",
                connector=self.name,
            )


class HeaderAuth(httpx.Auth):
    """A fixed header: ``Authorization: Bearer <token>`` or ``<auth_header>: <value>``."""

    def __init__(self, header: str, value: str) -> None:
        self._header = header
        self._value = value

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        request.headers[self._header] = self._value
        yield request


def http_auth(definition: ConnectorDefinition, settings: ConnectorSettings) -> httpx.Auth | None:
    """The ``httpx.Auth`` for a connector's client, or ``None`` (``auth="none"``, or tokens handled by the connector).

    Raises :class:`ConnectorAuthError` naming the role when a needed credential is not set.
    """
    auth = definition.auth
    name = definition.name
    if auth in ("token", "api_key"):
        value = _first(settings, auth, "token", "api_key", "key")
        if value is None and len(settings.credentials) == 1:
            value = next(iter(settings.credentials.values()))
        if value is None:
            raise ConnectorAuthError(f"connector '{name}': no {auth} credential is set", connector=name)
        if definition.auth_header:
            return HeaderAuth(definition.auth_header, value)
        return HeaderAuth("Authorization", f"Bearer {value}")
    if auth == "basic":
        user, password = _first(settings, "username", "user"), _first(settings, "password")
        if user is None or password is None:
            raise ConnectorAuthError(
                f"connector '{name}': basic auth needs 'username' and 'password' credentials", connector=name
            )
        return httpx.BasicAuth(user, password)
    if auth == "oauth2":
        token_url = settings.extras.get("token_url") or definition.token_url
        if not token_url:
            return None
        client_id, refresh = _first(settings, "client_id"), _first(settings, "refresh_token")
        if client_id is None or refresh is None:
            raise ConnectorAuthError(
                f"connector '{name}': oauth2 needs 'client_id' and 'refresh_token' credentials",
                connector=name,
            )
        return OAuth2RefreshAuth(
            name, str(token_url), client_id, _first(settings, "client_secret"), refresh, definition.scopes
        )
    return None
