"""RFC 9728 Protected Resource Metadata for the MCP authorization spec, from the SDK's auth routes.

Served when ``server.auth.oauth.resource`` is set, at the path-suffixed URL
the spec names (``/.well-known/oauth-protected-resource/mcp`` for a resource
``https://host/mcp``) and at the bare well-known path; the 401 of
:class:`~mcpgen.runtime.auth.gate.AuthGate` points at the former.
"""

from __future__ import annotations

from mcp.server.auth.routes import build_resource_metadata_url, create_protected_resource_routes
from pydantic import AnyHttpUrl
from starlette.routing import Route

from mcpgen.runtime.auth.settings import AuthSettings

WELL_KNOWN = "/.well-known/oauth-protected-resource"


def metadata_url(settings: AuthSettings) -> str | None:
    """Where the Protected Resource Metadata is served (``None``: no OAuth resource configured)."""
    resource = settings.oauth.resource
    return str(build_resource_metadata_url(AnyHttpUrl(resource))) if resource else None


def metadata_routes(settings: AuthSettings, server_name: str) -> list[Route]:
    """RFC 9728 metadata routes: at the path-suffixed URL the spec names, and at the bare well-known path."""
    oauth = settings.oauth
    if not oauth.resource:
        return []
    routes = create_protected_resource_routes(
        resource_url=AnyHttpUrl(oauth.resource),
        authorization_servers=[AnyHttpUrl(s) for s in oauth.authorization_servers],
        scopes_supported=list(oauth.scopes_supported) or None,
        resource_name=server_name,
    )
    found: list[Route] = []
    for route in routes:
        found.append(route)
        if route.path != WELL_KNOWN:
            found.append(Route(WELL_KNOWN, route.endpoint, methods=["GET", "OPTIONS"]))
    return found
