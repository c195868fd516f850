"""What keeps a connector polite and a dead service cheap: rate limit, circuit breaker, retries.

- :class:`RateLimiter`: a token bucket of ``per_minute`` requests; callers wait for a token.
- :class:`ServiceGuard`: ``async with guard:`` around one service call = wait for the
  rate limit, then pass the circuit breaker (:mod:`mcpgen.runtime.connectors.breaker`; closed →
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
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from mcpgen.authoring import ConnectorError, ConnectorUnavailable
from mcpgen.runtime.connectors.breaker import CircuitBreaker, CircuitState, Outcome, Ticket

if TYPE_CHECKING:
    import tenacity

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
        import tenacity  # only connectors with HTTP clients or retries need it

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
