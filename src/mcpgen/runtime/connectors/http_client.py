"""The HTTP side of a connector's resilience: ``ResilientTransport``, the ``httpx`` transport that
retries, honours ``Retry-After`` and goes through the connector's :class:`ServiceGuard`; inside it,
``TracedTransport``, a CLIENT span per attempt when the call is traced.

Separate from :mod:`mcpgen.runtime.connectors.resilience` so a server without connectors
never imports ``httpx`` or ``tenacity`` (start-up time and memory).
"""

from __future__ import annotations

import email.utils
import time

import httpx
import tenacity

from mcpgen.authoring import ConnectorAuthError, ConnectorError, ConnectorUnavailable, RateLimited
from mcpgen.runtime.connectors.resilience import (
    _IDEMPOTENT,
    _RETRY_STATUS,
    CircuitOpen,
    RetryPolicy,
    ServiceGuard,
)
from mcpgen.runtime.telemetry.context import TRACER


class _ServerFailure(Exception):
    """A 5xx answer, raised inside the guard so the breaker counts it."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


class _Retry(Exception):
    """An attempt worth repeating; ``after`` is the wait the service asked for (Retry-After)."""

    def __init__(
        self, response: httpx.Response | None, error: BaseException | None, after: float | None
    ) -> None:
        super().__init__("retry")
        self.response = response
        self.error = error
        self.after = after


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), if any."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _describe(error: BaseException) -> str:
    if isinstance(error, httpx.TimeoutException):
        return f"no answer in time ({type(error).__name__})"
    if isinstance(error, httpx.ConnectError):
        return f"cannot connect ({error or type(error).__name__})"
    return f"{type(error).__name__}: {error}"


class ResilientTransport(httpx.AsyncBaseTransport):
    """Wraps a pooled transport with the guard, 429 handling and retries (see the module docstring)."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        guard: ServiceGuard,
        retry: RetryPolicy,
        *,
        authenticated: bool = False,
    ) -> None:
        self._inner = inner
        self._guard = guard
        self._retry = retry
        self._authenticated = authenticated
        self._backoff = retry.backoff()

    @property
    def name(self) -> str:
        return self._guard.name

    def _wait(self, state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, _Retry) and error.after is not None:
            return min(error.after, self._retry.max)
        return float(self._backoff(state))

    async def _once(self, request: httpx.Request) -> httpx.Response:
        idempotent = request.method in _IDEMPOTENT
        try:
            async with self._guard:
                try:
                    response = await self._inner.handle_async_request(request)
                except httpx.TransportError as exc:
                    raise ConnectorUnavailable(
                        f"connector '{self.name}': {request.method} {request.url.path}: {_describe(exc)}",
                        connector=self.name,
                    ) from exc
                if response.status_code >= 500:
                    raise _ServerFailure(response)
        except ConnectorUnavailable as exc:
            sent = isinstance(exc.__cause__, httpx.TransportError) and not isinstance(
                exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
            )
            if exc.__cause__ is not None and (idempotent or not sent):
                raise _Retry(None, exc, None) from exc
            raise
        except _ServerFailure as failure:
            response = failure.response
            if response.status_code in _RETRY_STATUS and idempotent:
                await response.aread()
                raise _Retry(response, None, retry_after(response)) from None
            return response
        if response.status_code == 429:
            await response.aread()
            raise _Retry(response, None, retry_after(response))
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        retrying = tenacity.AsyncRetrying(
            stop=tenacity.stop_after_attempt(self._retry.max_retries + 1),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(_Retry),
            reraise=True,
        )
        previous: _Retry | None = None
        try:
            async for attempt in retrying:
                with attempt:
                    try:
                        response = await self._once(request)
                    except _Retry as again:
                        previous = again
                        raise
        except CircuitOpen:
            if previous is None or previous.error is None:
                raise
            cause = previous.error
            message = cause.message if isinstance(cause, ConnectorError) else str(cause)
            raise CircuitOpen(f"{message} (the circuit is now open)", connector=self.name) from cause
        except _Retry as last:
            if last.error is not None:
                raise last.error from last.error.__cause__
            if last.response is None:  # pragma: no cover - a _Retry carries a response or an error
                raise
            response = last.response
            if response.status_code == 429:
                after = retry_after(response)
                hint = f"; it asks to wait {after:.0f}s" if after is not None else ""
                raise RateLimited(
                    f"connector '{self.name}': the service is rate limiting us (HTTP 429 after "
                    f"{self._retry.max_retries + 1} tries){hint}",
                    connector=self.name,
                    retry_after=after,
                ) from None
            raise ConnectorUnavailable(
                f"connector '{self.name}': {request.method} {request.url.path} answered HTTP "
                f"{response.status_code} after {self._retry.max_retries + 1} tries",
                connector=self.name,
            ) from None
        if response.status_code == 401 and self._authenticated:
            await response.aread()
            raise ConnectorAuthError(
                f"connector '{self.name}': the service rejected the credentials (HTTP 401 for "
                f"{request.method} {request.url.path})",
                connector=self.name,
            )
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class TracedTransport(httpx.AsyncBaseTransport):
    """One CLIENT span per HTTP request of a connector, child of the call's span, when the call is traced.

    With tracing off (or the request sampled out) this costs one contextvar read: the OpenTelemetry
    SDK is not imported. When traced, the span follows the HTTP client semantic conventions
    (named after the method; ``http.request.method``, ``url.full`` without query string or user info,
    ``url.scheme``, ``server.address``, ``server.port``, ``http.response.status_code``, ``error.type``
    for a status >= 400 or a transport error) plus ``mcpgen.connector``, and its W3C ``traceparent``
    (and ``tracestate``) goes to the service in the request headers. Below the retries, so each attempt
    is its own span.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, connector: str) -> None:
        self._inner = inner
        self._connector = connector

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        tracer = TRACER.get()
        if tracer is None:
            return await self._inner.handle_async_request(request)
        from opentelemetry.trace import SpanKind, Status, StatusCode  # loaded already: tracing is on

        from mcpgen.runtime.telemetry.tracing import PROPAGATOR

        url = request.url
        attributes: dict[str, str | int] = {
            "http.request.method": request.method,
            "url.full": str(url.copy_with(query=None, fragment=None, userinfo=b"")),
            "url.scheme": url.scheme,
            "server.address": url.host,
            "mcpgen.connector": self._connector,
        }
        port = url.port or (443 if url.scheme == "https" else 80)
        attributes["server.port"] = port
        with tracer.start_as_current_span(
            request.method,
            kind=SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            PROPAGATOR.inject(request.headers)
            try:
                response = await self._inner.handle_async_request(request)
            except BaseException as exc:
                span.set_attribute("error.type", type(exc).__qualname__)
                span.set_status(Status(StatusCode.ERROR))
                raise
            status = response.status_code
            span.set_attribute("http.response.status_code", status)
            if status >= 400:
                span.set_attribute("error.type", str(status))
                span.set_status(Status(StatusCode.ERROR))
            return response

    async def aclose(self) -> None:
        await self._inner.aclose()
