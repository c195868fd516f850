"""A local stand-in for an external service: an ASGI app served on 127.0.0.1, with fault injection.

:class:`StandIn` serves an app with uvicorn in a background thread on a free
port of 127.0.0.1 and keeps that port across :meth:`StandIn.stop` /
:meth:`StandIn.start`, so "the service went down and came back" looks to a
client exactly like it does in production: connection refused, then answers
again on the same URL.

Faults are injected per route in front of the app (a :class:`Fault` matches a
method and an ``fnmatch`` path pattern, for the next ``times`` requests or
until cleared): answer with a status instead of the app (401, 429 with
``Retry-After``, 5xx), and/or answer only after a delay. Error bodies are
rendered by the service's own :data:`ErrorRenderer`, so a client library sees
the error shape it expects. Every request is recorded (:attr:`StandIn.requests`)
so tests can assert on what the client sent and when.

The stand-in is shared between the test thread and the server thread; faults
and the request log are guarded by one lock.
"""

from __future__ import annotations

import asyncio
import fnmatch
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from mcpgen.runtime.background import BackgroundServer, replaying

ErrorRenderer = Callable[[int, str], Response]
"""Renders an injected error (status, message) in the service's own error shape."""

_REASONS = {
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    429: "rate limited",
    500: "internal server error",
    502: "bad gateway",
    503: "service unavailable",
    504: "gateway timeout",
}


def json_error(status: int, message: str) -> Response:
    """The default :data:`ErrorRenderer`: ``{"error": message}`` with the status."""
    return JSONResponse({"error": message}, status_code=status)


@dataclass
class Fault:
    """One injected fault; ``times=None`` lasts until :meth:`StandIn.clear_faults`."""

    path: str = "*"
    method: str | None = None
    status: int | None = None
    """Answer with this status (rendered by the service's renderer) instead of the app; None: pass on."""
    message: str | None = None
    """Passed to the service's error renderer; None: the status's reason phrase."""
    delay: float = 0.0
    """Seconds to wait before answering (or passing on to the app)."""
    retry_after: float | None = None
    times: int | None = 1
    headers: Mapping[str, str] = field(default_factory=dict)
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return fnmatch.fnmatchcase(path, self.path)


@dataclass(frozen=True)
class RecordedRequest:
    """What a client sent, as the stand-in received it (before any fault)."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    at: float
    """``time.monotonic()`` on arrival."""

    @classmethod
    def of(cls, request: Request, body: bytes) -> RecordedRequest:
        """What ``request`` (its ``body`` already read) looks like in the log, stamped now."""
        headers = {k.lower(): v for k, v in request.headers.items()}
        return cls(request.method, request.url.path, request.url.query, headers, body, time.monotonic())


class StandIn:
    """Serve ``app`` on 127.0.0.1 in a background thread; inject faults; stop and start on one port."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        error: ErrorRenderer = json_error,
        port: int = 0,
        start_timeout: float = 10.0,
    ) -> None:
        self._app = app
        self._error = error
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._requests: list[RecordedRequest] = []
        self._background = BackgroundServer(
            self._serve, port=port, lifespan="off", start_timeout=start_timeout, name="standin"
        )

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        try:
            return self._background.port
        except RuntimeError:
            raise RuntimeError("the stand-in has not been started yet") from None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._background.running

    def start(self) -> str:
        """Start listening (on the same port as before, if it ran already); return :attr:`url`."""
        try:
            self._background.start()
        except RuntimeError as exc:
            raise RuntimeError(str(exc).replace("the server", "stand-in")) from None
        return self.url

    def stop(self) -> None:
        """Stop listening (clients get "connection refused"); the port is kept for :meth:`start`."""
        self._background.stop()

    def __enter__(self) -> StandIn:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- faults ------------------------------------------------------------------------------

    def inject(self, fault: Fault) -> Fault:
        """Add a fault (checked in the order added; the first that matches applies)."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def unauthorized(self, *, path: str = "*", times: int | None = 1) -> Fault:
        """Answer 401 for the next ``times`` matching requests."""
        return self.inject(Fault(path=path, status=401, times=times))

    def rate_limited(
        self, retry_after: float = 1, *, path: str = "*", times: int | None = 1, status: int = 429
    ) -> Fault:
        """Answer ``status`` (429) with ``Retry-After: retry_after`` for the next ``times`` requests."""
        return self.inject(Fault(path=path, status=status, retry_after=retry_after, times=times))

    def server_error(self, status: int = 503, *, path: str = "*", times: int | None = 1) -> Fault:
        """Answer a 5xx for the next ``times`` matching requests."""
        return self.inject(Fault(path=path, status=status, times=times))

    def slow(self, seconds: float, *, path: str = "*", times: int | None = None) -> Fault:
        """Wait ``seconds`` before answering matching requests (the app still answers)."""
        return self.inject(Fault(path=path, delay=seconds, times=times))

    # -- the request log ---------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, pattern: str, method: str | None = None) -> list[RecordedRequest]:
        """The recorded requests whose path matches ``pattern`` (``fnmatch``), and method if given."""
        return [
            r
            for r in self.requests
            if fnmatch.fnmatchcase(r.path, pattern) and (method is None or r.method == method.upper())
        ]

    # -- serving -----------------------------------------------------------------------------

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request = Request(scope, receive)
        body = await request.body()
        method, path = request.method, request.url.path
        with self._lock:
            self._requests.append(RecordedRequest.of(request, body))
            fault = next((f for f in self._faults if f.matches(method, path)), None)
            if fault is not None:
                fault.hits += 1
        if fault is not None and fault.delay > 0:
            try:
                await asyncio.sleep(fault.delay)
            except asyncio.CancelledError:
                return  # stopped while waiting: the request dies with the service, like a real outage
        if fault is not None and fault.status is not None:
            response = self._error(fault.status, fault.message or _REASONS.get(fault.status, "error"))
            if fault.retry_after is not None:
                response.headers["Retry-After"] = f"{fault.retry_after:g}"
            for name, value in fault.headers.items():
                response.headers[name] = value
            await response(scope, receive, send)
            return

        await self._app(scope, replaying(body, receive), send)
