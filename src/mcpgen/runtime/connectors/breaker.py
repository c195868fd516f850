"""A circuit breaker: stop calling a service that keeps failing, try it again later, one call at a time.

::

               failure_threshold failures in a row
    closed ──────────────────────────────────────────▶ open ◀─────────┐
       ▲                                                 │            │ the trial fails
       │ the trial succeeds                              │ reset_timeout passes
       └─────────────────────────────────── half-open ◀──┘            │
                                               └──────────────────────┘

- **closed**: every call goes through; a failure adds one to the count of
  consecutive failures, a success sets it back to zero.
- **open**: every call is refused at once (:meth:`CircuitBreaker.acquire`
  returns ``None``) until ``reset_timeout`` seconds have passed.
- **half-open**: exactly one trial call goes through, the others are refused
  while it runs. Its success closes the circuit, its failure opens it again
  for another ``reset_timeout``; an outcome that proves nothing (the trial was
  cancelled) lets the next caller try.

Each admitted call gets a :class:`Ticket` and reports its outcome with it.
A ticket remembers the state it was issued in: a call let in while the circuit
was closed that ends after the circuit opened changes nothing (the circuit
has already decided). The clock is injected (``time.monotonic`` by default)
so tests drive time by hand. Every transition happens under a lock and
never awaits, so one breaker is safe to share between tasks and threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Literal

CircuitState = Literal["closed", "open", "half-open"]


class Outcome(Enum):
    SUCCESS = "success"
    """The service answered (even with an error about the request itself)."""
    FAILURE = "failure"
    """The service is unreachable or broken."""
    UNKNOWN = "unknown"
    """Nothing was learned: the call was cancelled before the service answered."""


@dataclass(frozen=True, slots=True)
class Ticket:
    """Permission for one call; hand it back to :meth:`CircuitBreaker.record`."""

    generation: int
    trial: bool


class CircuitBreaker:
    """Counts consecutive failures of one service and refuses calls while the circuit is open."""

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be at least 1, not {failure_threshold}")
        if reset_timeout <= 0:
            raise ValueError(f"reset_timeout must be positive, not {reset_timeout}")
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._state: CircuitState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False
        self._generation = 0
        """Bumped on every transition: tickets of an earlier state are ignored."""

    @property
    def state(self) -> CircuitState:
        """``closed``, ``open`` or ``half-open``; an open circuit past its timeout reads ``half-open``."""
        with self._lock:
            if self._state == "open" and self._due():
                return "half-open"
            return self._state

    @property
    def failures(self) -> int:
        """Consecutive failures counted while closed."""
        return self._failures

    def retry_in(self) -> float | None:
        """Seconds until an open circuit lets a trial call through; ``None`` unless it is open."""
        with self._lock:
            if self._state != "open" or self._due():
                return None
            return max(0.0, self._opened_at + self.reset_timeout - self._clock())

    def acquire(self) -> Ticket | None:
        """A ticket for one call, or ``None`` when the call must be refused (open, or a trial running)."""
        with self._lock:
            if self._state == "open":
                if not self._due():
                    return None
                self._move("half-open")
            if self._state == "half-open":
                if self._trial_running:
                    return None
                self._trial_running = True
                return Ticket(self._generation, trial=True)
            return Ticket(self._generation, trial=False)

    def record(self, ticket: Ticket, outcome: Outcome) -> None:
        """The outcome of the call ``ticket`` admitted."""
        with self._lock:
            if ticket.generation != self._generation:
                return  # admitted before the last transition: the circuit has moved on
            if ticket.trial:
                if outcome is Outcome.SUCCESS:
                    self._move("closed")
                elif outcome is Outcome.FAILURE:
                    self._open()
                else:
                    self._trial_running = False  # the next caller tries
            elif outcome is Outcome.SUCCESS:
                self._failures = 0
            elif outcome is Outcome.FAILURE:
                self._failures += 1
                if self._failures >= self.failure_threshold:
                    self._open()

    def _due(self) -> bool:
        return self._clock() >= self._opened_at + self.reset_timeout

    def _open(self) -> None:
        self._move("open")
        self._opened_at = self._clock()

    def _move(self, state: CircuitState) -> None:
        self._state = state
        self._generation += 1
        self._failures = 0
        self._trial_running = False
