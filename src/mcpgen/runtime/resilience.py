"""What keeps a connector polite and a dead service cheap: rate limit, circuit breaker, retries.

- :class:`RateLimiter`: a token bucket of ``per_minute`` requests; callers wait for a token.
- :class:`ServiceGuard`: ``async with guard:`` around one service call = wait for the
  rate limit, then pass the circuit breaker (:mod:`mcpgen.runtime.breaker`; closed →
  open after ``failure_threshold`` consecutive failures → half-open after
  ``reset_timeout``, one trial call → closed on its success, open again on its
  failure). An open circuit raises
  :class:`~mcpgen.ConnectorUnavailable` at once, without any I/O. A
  :class:`~mcpgen.ConnectorError` that is not about reachability (a 404 turned
  into a message, a bad query) proves the service answered: it is not a failure.
- :class:`ResilientTransport`: the ``httpx`` transport of a connector's pooled
  client: every request goes through the guard; 429 waits ``Retry-After`` and
  retries; connection errors, timeouts and 502/503/504 on idempotent requests
  retry with exponential backoff and jitter (``tenacity``); what is left is
  raised as a clear connector error.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

import httpx
import tenacity

from mcpgen.authoring import ConnectorAuthError, ConnectorError, ConnectorUnavailable, RateLimited
from mcpgen.runtime.breaker import CircuitBreaker, CircuitState, Outcome, Ticket

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_RETRY_STATUS = frozenset({502, 503, 504})

BreakerListener = Callable[[str, BaseException | None], None]
"""Called as ``listener(state, error)`` after each guarded call: the circuit state, the failure (or None)."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 3
    initial: float = 0.5
    max: float = 30.0

    def backoff(self) -> tenacity.wait.wait_base:
        # wait_exponential_jitter(initial=...) warns (DeprecationWarning) on tenacity >= 9.2 and has no
        # `multiplier` before it; this sum is the same backoff on every supported tenacity
        return tenacity.wait_exponential(multiplier=self.initial, max=self.max) + tenacity.wait_random(
            0, self.initial
        )


class RateLimiter:
    """At most ``per_minute`` acquisitions per minute (bursts of up to one second's worth)."""

    def __init__(self, per_minute: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate)
        self._tokens = self.capacity
        self._clock = clock
        self._stamp = clock()
        self._lock = asyncio.Lock()

    async def acquire(self) -> float:
        """Wait for a token; returns the seconds waited."""
        waited = 0.0
        async with self._lock:  # first come, first served
            while True:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return waited
                delay = (1 - self._tokens) / self.rate
                waited += delay
                await asyncio.sleep(delay)


class CircuitOpen(ConnectorUnavailable):
    """Refused without trying: the circuit is open after repeated failures."""


_CALLS: contextvars.ContextVar[tuple[tuple[int, Ticket], ...]] = contextvars.ContextVar(
    "mcpgen_guarded_calls", default=()
)
"""The tickets of the guarded calls the current task is inside, innermost last (guards may nest)."""


class ServiceGuard:
    """Rate limit plus circuit breaker around one service call (``async with guard: ...``)."""

    def __init__(
        self,
        name: str,
        *,
        limiter: RateLimiter | None = None,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.limiter = limiter
        self.breaker = CircuitBreaker(failure_threshold, reset_timeout, clock=clock)
        self._listeners: list[BreakerListener] = []

    @property
    def failure_threshold(self) -> int:
        return self.breaker.failure_threshold

    @property
    def reset_timeout(self) -> float:
        return self.breaker.reset_timeout

    def listen(self, listener: BreakerListener) -> None:
        self._listeners.append(listener)

    @property
    def state(self) -> CircuitState:
        """``closed``, ``open`` or ``half-open`` (an open circuit past its timeout is ``half-open``)."""
        return self.breaker.state

    def retry_in(self) -> float | None:
        """Seconds until an open circuit lets a trial call through (``None`` unless open)."""
        return self.breaker.retry_in()

    async def __aenter__(self) -> ServiceGuard:
        if self.limiter is not None:
            await self.limiter.acquire()
        ticket = self.breaker.acquire()
        if ticket is None:
            wait = self.breaker.retry_in()
            when = f"next try in {wait:.0f}s" if wait is not None else "a trial call is under way"
            raise CircuitOpen(
                f"connector '{self.name}' is cut off after {self.failure_threshold} failures in a row "
                f"(circuit open); {when}",
                connector=self.name,
            )
        _CALLS.set((*_CALLS.get(), (id(self), ticket)))
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        calls = _CALLS.get()
        index = max(i for i, (guard, _) in enumerate(calls) if guard == id(self))
        ticket = calls[index][1]
        _CALLS.set(calls[:index] + calls[index + 1 :])
        failed = exc is not None and is_failure(exc)
        if failed:
            outcome = Outcome.FAILURE
        elif isinstance(exc, asyncio.CancelledError):
            outcome = Outcome.UNKNOWN
        else:
            outcome = Outcome.SUCCESS
        self.breaker.record(ticket, outcome)
        state = self.breaker.state
        for listener in self._listeners:
            listener(state, exc if failed else None)
        return None


def is_failure(exc: BaseException) -> bool:
    """Whether an exception says the service is unreachable or broken (not the caller's mistake)."""
    if isinstance(exc, asyncio.CancelledError):
        return False
    if isinstance(exc, ConnectorError):
        return isinstance(exc, ConnectorUnavailable)
    return True  # a 5xx, or a driver's own exception: connection lost, protocol error...


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
