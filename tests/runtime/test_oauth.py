"""The OAuth 2.1 resource server, against a real authorization server on 127.0.0.1 (``oauth_issuer.py``).

The issuer is its own process signing real RS256 tokens, serving a JWKS and an
RFC 7662 introspection endpoint; the MCP server fetches keys from it over HTTP.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from mcpgen.runtime.auth.settings import AuthSettings, JwtSettings, OAuthSettings, Role
from mcpgen.runtime.auth.tokens import JwtVerifier
from mcpgen.runtime.middleware.rbac import FORBIDDEN
from server_support import free_port

from .test_auth import both, requests, served, serving
from .test_metrics import samples
from .test_metrics import value as value_of

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("runtime-oauth")]  # one issuer process

RESOURCE = "http://127.0.0.1:8080/mcp"
METADATA = "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"
ISSUER_SCRIPT = Path(__file__).with_name("oauth_issuer.py")


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with subprocess.Popen([sys.executable, str(ISSUER_SCRIPT)], stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:"), f"the test issuer did not start: {url!r}"
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def oauth_settings(issuer: str, **jwt: Any) -> AuthSettings:
    return AuthSettings(
        jwt=JwtSettings(jwks_url=f"{issuer}/jwks", issuer=issuer, algorithms=("RS256",), **jwt),
        oauth=OAuthSettings(
            resource=RESOURCE,
            authorization_servers=(issuer,),
            scopes_supported=("mcp:tools",),
            introspection_url=f"{issuer}/introspect",
            client_id="mcp-server",
            client_secret="s3cret",
        ),
        roles={"user": Role(allow=("tool:add",)), "admin": Role(allow=("*",), inherits=("user",))},
    )


async def token(issuer: str, **form: str) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{issuer}/token", data={"aud": RESOURCE, **form})
        return str(response.json()["access_token"])


async def issuer_stats(issuer: str) -> dict[str, int]:
    async with httpx.AsyncClient() as client:
        return dict((await client.get(f"{issuer}/stats")).json())


async def jwks_fetches(issuer: str) -> int:
    return (await issuer_stats(issuer))["jwks"]


ADD = {"name": "add", "arguments": {"a": 2, "b": 2}}


async def test_protected_resource_metadata_and_the_401_that_names_it(tmp_path: Path, issuer: str) -> None:
    async with both(tmp_path, oauth_settings(issuer)) as clients:
        for client in clients:
            for path in (
                "/.well-known/oauth-protected-resource/mcp",
                "/.well-known/oauth-protected-resource",
            ):
                metadata = (await client.get(path)).json()
                assert metadata["resource"] == RESOURCE
                assert metadata["authorization_servers"] == [f"{issuer}/"] or metadata[
                    "authorization_servers"
                ] == [issuer]
                assert metadata["scopes_supported"] == ["mcp:tools"]
            for content, headers in requests("tools/call", ADD):
                response = await client.post("/mcp", content=content, headers=headers)
                assert response.status_code == 401
                assert f'resource_metadata="{METADATA}"' in response.headers["www-authenticate"]
            assert served(client) == {"fast": 0, "sdk": 0}


async def test_real_tokens_roles_from_claims_on_both_paths(tmp_path: Path, issuer: str) -> None:
    user = await token(issuer, sub="alice", roles="user")
    admin = await token(issuer, sub="root", roles="admin")
    async with both(tmp_path, oauth_settings(issuer)) as clients:
        for client in clients:
            for content, headers in requests("tools/call", ADD):
                ok = await client.post(
                    "/mcp", content=content, headers={**headers, "authorization": f"Bearer {user}"}
                )
                assert ok.json()["result"]["structuredContent"] == {"result": 4}
            wipe = {"name": "wipe", "arguments": {"target": "x"}}
            for content, headers in requests("tools/call", wipe):
                denied = await client.post(
                    "/mcp", content=content, headers={**headers, "authorization": f"Bearer {user}"}
                )
                assert denied.json()["error"]["code"] == FORBIDDEN
                assert user not in denied.text
                allowed = await client.post(
                    "/mcp", content=content, headers={**headers, "authorization": f"Bearer {admin}"}
                )
                assert allowed.json()["result"]["content"][0]["text"] == "wiped x"
        fast, _ = clients
        assert served(fast)["fast"] == 6


async def test_audience_issuer_and_expiry_are_enforced(tmp_path: Path, issuer: str) -> None:
    bad = {
        "audience": await token(issuer, roles="admin", aud="http://other.example/mcp"),
        "another issuer": await token(issuer, roles="admin", iss="http://evil.example"),
        "expired": await token(issuer, roles="admin", expires_in="-120"),
    }
    async with serving(tmp_path, oauth_settings(issuer)) as client:
        content, headers = next(requests("tools/list"))
        for why, value in bad.items():
            response = await client.post(
                "/mcp", content=content, headers={**headers, "authorization": f"Bearer {value}"}
            )
            assert response.status_code == 401, why
            challenge = response.headers["www-authenticate"]
            assert 'error="invalid_token"' in challenge
            assert f'resource_metadata="{METADATA}"' in challenge
            assert value not in challenge
        assert "expired" in response.headers["www-authenticate"]
        found = samples((await client.get("/metrics")).text)
        assert value_of(found, "mcpgen_auth_failures_total", reason="invalid") == 2
        assert value_of(found, "mcpgen_auth_failures_total", reason="expired") == 1


async def test_an_unreachable_issuer_is_counted_as_unavailable(tmp_path: Path, issuer: str) -> None:
    settings = oauth_settings(issuer)
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = replace(
        settings,
        jwt=replace(settings.jwt, jwks_url=f"{dead}/jwks"),
        oauth=replace(settings.oauth, introspection_url=None),
    )
    valid = await token(issuer, roles="admin")
    async with serving(tmp_path, settings) as client:
        content, headers = next(requests("tools/list"))
        response = await client.post(
            "/mcp", content=content, headers={**headers, "authorization": f"Bearer {valid}"}
        )
        assert response.status_code == 401
        assert "JWKS unavailable" in response.headers["www-authenticate"]
        found = samples((await client.get("/metrics")).text)
    assert value_of(found, "mcpgen_auth_failures_total", reason="unavailable") == 1


async def test_key_rotation_refetches_the_jwks_on_an_unknown_kid(
    tmp_path: Path, issuer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(JwtVerifier, "refetch_interval", 0.0)
    async with serving(tmp_path, oauth_settings(issuer)) as client:
        content, headers = next(requests("tools/call", ADD))

        async def status(value: str) -> int:
            response = await client.post(
                "/mcp", content=content, headers={**headers, "authorization": f"Bearer {value}"}
            )
            return response.status_code

        before = await jwks_fetches(issuer)
        first = await token(issuer, roles="user")
        assert await status(first) == 200
        assert await status(first) == 200
        assert await jwks_fetches(issuer) == before + 1  # cached
        async with httpx.AsyncClient() as http:
            await http.post(f"{issuer}/rotate")
        rotated = await token(issuer, roles="user")
        assert await status(rotated) == 200
        assert await jwks_fetches(issuer) == before + 2  # refetched for the new kid
        assert await status(first) == 401  # the old key is no longer published


async def test_opaque_tokens_by_introspection(tmp_path: Path, issuer: str) -> None:
    opaque = await token(issuer, roles="user", opaque="1")
    stranger = await token(issuer, roles="user", opaque="1", aud="http://other.example/mcp")
    async with both(tmp_path, oauth_settings(issuer)) as clients:
        before = (await issuer_stats(issuer))["introspections"]
        for client in clients:
            for content, headers in requests("tools/call", ADD):
                ok = await client.post(
                    "/mcp", content=content, headers={**headers, "authorization": f"Bearer {opaque}"}
                )
                assert ok.json()["result"]["structuredContent"] == {"result": 4}
        assert (await issuer_stats(issuer))["introspections"] == before + 2  # once per server, then cached
        content, headers = next(requests("tools/call", ADD))
        for client in clients:
            for value in (stranger, "not-a-token"):
                refused = await client.post(
                    "/mcp", content=content, headers={**headers, "authorization": f"Bearer {value}"}
                )
                assert refused.status_code == 401
