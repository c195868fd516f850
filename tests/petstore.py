"""A small pets API serving its own OpenAPI 3.1 spec (the HTTP service the OpenAPI tests call).

``create_app(api_key)`` is a Starlette app: ``GET /openapi.json`` (the spec, with
``servers`` pointing nowhere useful so the tests must set the base URL or rely on the fetch
URL), ``GET /pets?limit=&tag=``, ``GET /pets/{petId}``, ``POST /pets`` (a JSON body, a
``$ref``'d schema, a recursive ``Category``), ``DELETE /pets/{petId}`` (an error path),
all behind an ``X-API-Key`` header. ``calls`` counts requests per route. :class:`ThreadServer`
serves an ASGI app (this one, or a generated server) with uvicorn in a thread on 127.0.0.1.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from server_support import free_port

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Pets", "version": "1.0.0"},
    "servers": [{"url": "/v1"}],
    "security": [{"api_key": []}],
    "paths": {
        "/pets": {
            "get": {
                "operationId": "listPets",
                "summary": "List pets",
                "tags": ["pets"],
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}},
                    {
                        "name": "tag",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "Filter by tag",
                    },
                ],
                "responses": {"200": {"description": "pets"}},
            },
            "post": {
                "operationId": "createPet",
                "summary": "Create a pet",
                "tags": ["pets"],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewPet"}}},
                },
                "responses": {"201": {"description": "created"}},
            },
        },
        "/pets/{petId}": {
            "parameters": [{"$ref": "#/components/parameters/PetId"}],
            "get": {
                "operationId": "show pet by id",
                "summary": "Info for a pet",
                "tags": ["pets"],
                "parameters": [{"name": "X-Trace", "in": "header", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "a pet"}},
            },
            "delete": {
                "tags": ["admin"],
                "summary": "Delete a pet",
                "responses": {"204": {"description": "deleted"}},
            },
        },
        "/health": {
            "get": {"operationId": "health", "security": [], "responses": {"200": {"description": "ok"}}}
        },
    },
    "components": {
        "parameters": {
            "PetId": {"name": "petId", "in": "path", "required": True, "schema": {"type": "integer"}}
        },
        "schemas": {
            "NewPet": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "tag": {"type": "string"},
                    "id": {"type": "integer", "readOnly": True},
                    "category": {"$ref": "#/components/schemas/Category"},
                },
            },
            "Category": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "parent": {"$ref": "#/components/schemas/Category"},
                },
            },
        },
        "securitySchemes": {"api_key": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
    },
}


def create_app(api_key: str) -> Starlette:
    pets: dict[int, dict[str, Any]] = {
        1: {"id": 1, "name": "Rex", "tag": "dog"},
        2: {"id": 2, "name": "Tom", "tag": "cat"},
    }
    calls: Counter[str] = Counter()

    def authorized(request: Request) -> Response | None:
        if request.headers.get("x-api-key") != api_key:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        return None

    async def spec(request: Request) -> Response:
        return JSONResponse(SPEC)

    async def list_pets(request: Request) -> Response:
        calls["listPets"] += 1
        if (denied := authorized(request)) is not None:
            return denied
        found = [p for p in pets.values() if request.query_params.get("tag") in (None, p.get("tag"))]
        limit = int(request.query_params.get("limit", "100"))
        return JSONResponse(found[:limit])

    async def create_pet(request: Request) -> Response:
        calls["createPet"] += 1
        if (denied := authorized(request)) is not None:
            return denied
        body = await request.json()
        pet = {"id": max(pets) + 1, **body}
        pets[pet["id"]] = pet
        return JSONResponse(pet, status_code=201)

    async def show_pet(request: Request) -> Response:
        calls["showPet"] += 1
        if (denied := authorized(request)) is not None:
            return denied
        pet = pets.get(int(request.path_params["pet_id"]))
        if pet is None:
            return JSONResponse({"error": "no such pet"}, status_code=404)
        return JSONResponse({**pet, "trace": request.headers.get("x-trace")})

    async def delete_pet(request: Request) -> Response:
        calls["deletePet"] += 1
        return PlainTextResponse("deleting is not allowed here", status_code=403)

    async def echo(request: Request) -> Response:
        """What the request carried (for the request-building tests)."""
        raw = await request.body()
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.startswith(("x-", "authorization", "cookie", "content-type"))
        }
        return JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "query": list(request.query_params.multi_items()),
                "headers": headers,
                "body": raw.decode(),
            }
        )

    async def image(request: Request) -> Response:
        return Response(b"\x89PNG\r\n\x1a\n", media_type="image/png")

    async def slow(request: Request) -> Response:
        await anyio.sleep(0.5)
        return PlainTextResponse("late")

    async def health(request: Request) -> Response:
        calls["health"] += 1
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[
            Route("/openapi.json", spec),
            Route("/v1/pets", list_pets, methods=["GET"]),
            Route("/v1/pets", create_pet, methods=["POST"]),
            Route("/v1/pets/{pet_id:int}", show_pet, methods=["GET"]),
            Route("/v1/pets/{pet_id:int}", delete_pet, methods=["DELETE"]),
            Route("/v1/health", health),
            Route("/echo/{rest:path}", echo, methods=["GET", "POST", "PUT"]),
            Route("/slow", slow),
            Route("/image.png", image),
        ]
    )
    app.state.calls = calls
    return app


class ThreadServer:
    """``app`` served by uvicorn in a daemon thread on a free port of 127.0.0.1 (``stop()`` ends it)."""

    def __init__(self, app: Any, *, lifespan: str = "off") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan=lifespan)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="test-server", daemon=True)

    def start(self) -> ThreadServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:  # a thread, not a task: nothing to await on
            assert self._thread.is_alive(), "the server did not start"
            assert time.monotonic() < deadline, "the server did not start within 20s"
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(20)
        assert not self._thread.is_alive()
