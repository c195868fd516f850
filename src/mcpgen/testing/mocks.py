"""Connector mocks: an external service answered by canned responses on 127.0.0.1.

A :class:`ConnectorMock` is a :class:`~mcpgen.testing.StandIn` (a real HTTP server, with its fault
injection and request log) whose app answers from a table of routes::

    gmail = ConnectorMock("gmail", responses={
        "GET /gmail/v1/users/me/profile": {"emailAddress": "ada@example.com"},
        "POST /gmail/v1/users/me/messages/send": Reply(status=202, json={"id": "m1"}),
        "GET /gmail/v1/users/me/messages/*": lambda request: {"id": request.path.rsplit("/", 1)[-1]},
    })

A route is ``"METHOD /path"`` or ``"/path"`` (any method); the path is an ``fnmatch`` pattern. A
value is JSON (answered with 200), a :class:`Reply`, or a callable taking the
:class:`~mcpgen.testing.RecordedRequest` and returning either. A request no route matches gets a
404 whose body names it (and is in :attr:`~mcpgen.testing.StandIn.requests` like every other).

The server reaches it through configuration, as it would a real service: ``services.<name>.endpoint``
= the mock's URL (:attr:`ConnectorMock.override`). The pytest fixture ``mock_connector`` does that.
"""

from __future__ import annotations

import fnmatch
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from mcpgen.testing.standin import RecordedRequest, StandIn

__all__ = ["ConnectorMock", "Reply", "Responses"]


@dataclass(frozen=True)
class Reply:
    """A canned answer: ``json`` (or ``text``) with a status and headers."""

    status: int = 200
    json: Any = None
    text: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        if self.text is not None:
            return Response(self.text, status_code=self.status, headers=dict(self.headers))
        if self.json is None and self.status in (204, 304):
            return Response(status_code=self.status, headers=dict(self.headers))
        return JSONResponse(self.json, status_code=self.status, headers=dict(self.headers))


Answer = Any
"""JSON, a :class:`Reply`, or a callable ``(RecordedRequest) -> JSON | Reply``."""
Responses = Mapping[str, Answer]


def _route(route: str) -> tuple[str | None, str]:
    method, _, path = route.strip().partition(" ")
    if not path:
        return None, method
    if not path.startswith("/"):
        raise ValueError(f"mock route {route!r}: expected 'METHOD /path' or '/path'")
    return method.upper(), path.strip()


class ConnectorMock(StandIn):
    """A stand-in for connector ``name``'s service, answering from ``responses`` (see the module docstring)."""

    def __init__(self, name: str, responses: Responses | None = None, *, port: int = 0) -> None:
        super().__init__(self._answer, port=port)
        self.name = name
        self._routes: list[tuple[str | None, str, Answer]] = []
        self._routes_lock = threading.Lock()
        self.respond_with(responses or {})

    @property
    def override(self) -> str:
        """The ``--set`` that points the server's connector at this mock."""
        return f"services.{self.name}.endpoint={self.url}"

    def respond_with(self, responses: Responses, *, replace: bool = True) -> None:
        """Set the routes (``replace=False``: add them, checked after the existing ones)."""
        parsed = [(*_route(route), answer) for route, answer in responses.items()]
        with self._routes_lock:
            if replace:
                self._routes.clear()
            self._routes.extend(parsed)

    def respond(self, route: str, answer: Answer) -> None:
        """Add one route, checked before the existing ones."""
        with self._routes_lock:
            self._routes.insert(0, (*_route(route), answer))

    def reset(self) -> None:
        """No routes, no faults, an empty request log (between tests)."""
        self.respond_with({})
        self.clear_faults()
        with self._lock:
            self._requests.clear()

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        body = await request.body()
        method, path = request.method, request.url.path
        with self._routes_lock:
            answer = next(
                (
                    a
                    for m, p, a in self._routes
                    if (m is None or m == method) and fnmatch.fnmatchcase(path, p)
                ),
                _MISSING,
            )
        if answer is _MISSING:
            message = f"mock '{self.name}' has no response for {method} {path}"
            await JSONResponse({"error": message}, status_code=404)(scope, receive, send)
            return
        if callable(answer) and not isinstance(answer, Reply):
            answer = answer(RecordedRequest.of(request, body))
        reply = answer if isinstance(answer, Reply) else Reply(json=answer)
        await reply.response()(scope, receive, send)

    def json_of(self, request: RecordedRequest) -> Any:
        """A recorded request's body as JSON."""
        return json.loads(request.body)


_MISSING: Any = object()
