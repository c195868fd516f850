"""A small, real OAuth 2.1 authorization server for the tests, run as its own process on 127.0.0.1.

``python tests/runtime/oauth_issuer.py`` binds a free port, prints
``http://127.0.0.1:PORT`` on its first stdout line and serves:

- ``GET /.well-known/oauth-authorization-server``: RFC 8414 metadata;
- ``GET /jwks``: the public signing keys (RS256), counted in ``/stats``;
- ``POST /token``: a test-only minting endpoint (form fields ``sub``, ``aud``,
  ``roles`` (comma-separated), ``scope``, ``expires_in``, ``iss``,
  ``opaque=1`` for an opaque token known only to introspection);
- ``POST /introspect``: RFC 7662, HTTP Basic client authentication
  (``mcp-server`` / ``s3cret``);
- ``POST /rotate``: a new signing key with a new ``kid`` (the old one is
  no longer published);
- ``GET /stats``: ``{"jwks": <times the JWKS was served>, "introspections": <requests>}``.
"""

from __future__ import annotations

import base64
import secrets
import socket
import sys
import time
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CLIENT_ID, CLIENT_SECRET = "mcp-server", "s3cret"


class Issuer:
    def __init__(self, url: str) -> None:
        self.url = url
        self.jwks_served = 0
        self.introspections = 0
        self.opaque: dict[str, dict[str, Any]] = {}
        self.rotate()

    def rotate(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)

    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def claims(self, form: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": form.get("iss", self.url),
            "sub": form.get("sub", "alice"),
            "aud": form.get("aud", ""),
            "iat": now,
            "exp": now + int(form.get("expires_in", "300")),
            "client_id": "test-client",
        }
        if form.get("roles"):
            claims["roles"] = form["roles"].split(",")
        if form.get("scope"):
            claims["scope"] = form["scope"]
        return claims


def build(issuer: Issuer) -> Starlette:
    async def metadata(request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": issuer.url,
                "token_endpoint": f"{issuer.url}/token",
                "jwks_uri": f"{issuer.url}/jwks",
                "introspection_endpoint": f"{issuer.url}/introspect",
                "response_types_supported": ["code"],
            }
        )

    async def jwks(request: Request) -> Response:
        issuer.jwks_served += 1
        return JSONResponse(issuer.jwks())

    async def token(request: Request) -> Response:
        form = await request.form()
        claims = issuer.claims(form)
        if form.get("opaque") == "1":
            value = secrets.token_urlsafe(24)
            issuer.opaque[value] = claims
        else:
            value = jwt.encode(claims, issuer.key, algorithm="RS256", headers={"kid": issuer.kid})
        return JSONResponse({"access_token": value, "token_type": "Bearer", "expires_in": 300})

    async def introspect(request: Request) -> Response:
        issuer.introspections += 1
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        form = await request.form()
        claims = issuer.opaque.get(str(form.get("token", "")))
        if claims is None or claims["exp"] < time.time():
            return JSONResponse({"active": False})
        return JSONResponse({"active": True, "token_type": "Bearer", **claims})

    async def rotate(request: Request) -> Response:
        issuer.rotate()
        return JSONResponse({"kid": issuer.kid})

    async def stats(request: Request) -> Response:
        return JSONResponse({"jwks": issuer.jwks_served, "introspections": issuer.introspections})

    return Starlette(
        routes=[
            Route("/.well-known/oauth-authorization-server", metadata),
            Route("/jwks", jwks),
            Route("/token", token, methods=["POST"]),
            Route("/introspect", introspect, methods=["POST"]),
            Route("/rotate", rotate, methods=["POST"]),
            Route("/stats", stats),
        ]
    )


def main() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = build(Issuer(url))
    print(url, flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    server.run(sockets=[sock])
    sys.exit(0)


if __name__ == "__main__":
    main()
