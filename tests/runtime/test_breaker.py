"""The circuit breaker's state machine, driven by a fake clock (no sleeping)."""

from __future__ import annotations

import pytest

from mcpgen.runtime.connectors.breaker import CircuitBreaker, Outcome, Ticket


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def admit(breaker: CircuitBreaker) -> Ticket:
    ticket = breaker.acquire()
    assert ticket is not None, f"refused in state {breaker.state}"
    return ticket


def fail(breaker: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        breaker.record(admit(breaker), Outcome.FAILURE)


def open_breaker(clock: FakeClock, threshold: int = 3, timeout: float = 10.0) -> CircuitBreaker:
    breaker = CircuitBreaker(threshold, timeout, clock=clock)
    fail(breaker, threshold)
    assert breaker.state == "open"
    return breaker


def test_closed_lets_calls_through_and_counts_consecutive_failures(clock: FakeClock) -> None:
    breaker = CircuitBreaker(3, 10.0, clock=clock)
    assert breaker.state == "closed"
    fail(breaker, 2)
    assert breaker.failures == 2
    assert breaker.state == "closed"
    breaker.record(admit(breaker), Outcome.SUCCESS)  # a success in between resets the count
    assert breaker.failures == 0
    fail(breaker, 2)
    assert breaker.state == "closed"
    assert breaker.retry_in() is None


def test_the_threshold_th_failure_in_a_row_opens_the_circuit(clock: FakeClock) -> None:
    breaker = CircuitBreaker(3, 10.0, clock=clock)
    fail(breaker, 3)
    assert breaker.state == "open"
    assert breaker.acquire() is None
    assert breaker.retry_in() == 10.0
    clock.advance(4)
    assert breaker.acquire() is None
    assert breaker.retry_in() == 6.0


def test_open_becomes_half_open_after_the_reset_timeout(clock: FakeClock) -> None:
    breaker = open_breaker(clock)
    clock.advance(9.999)
    assert breaker.state == "open"
    clock.advance(0.001)
    assert breaker.state == "half-open"
    assert breaker.retry_in() is None


def test_half_open_admits_exactly_one_trial(clock: FakeClock) -> None:
    breaker = open_breaker(clock)
    clock.advance(10)
    trial = admit(breaker)
    assert trial.trial
    assert breaker.acquire() is None  # others are refused while the trial runs
    assert breaker.acquire() is None
    assert breaker.state == "half-open"


def test_a_successful_trial_closes_the_circuit(clock: FakeClock) -> None:
    breaker = open_breaker(clock)
    clock.advance(10)
    breaker.record(admit(breaker), Outcome.SUCCESS)
    assert breaker.state == "closed"
    assert breaker.failures == 0
    first, second = admit(breaker), admit(breaker)  # closed again: concurrent calls go through
    assert not first.trial
    assert not second.trial
    fail(breaker, 2)
    assert breaker.state == "closed"  # counting starts from zero


def test_a_failed_trial_reopens_for_another_full_timeout(clock: FakeClock) -> None:
    breaker = open_breaker(clock)
    clock.advance(15)
    breaker.record(admit(breaker), Outcome.FAILURE)
    assert breaker.state == "open"
    assert breaker.retry_in() == 10.0  # measured from the failed trial, not the first opening
    assert breaker.acquire() is None
    clock.advance(10)
    assert admit(breaker).trial


def test_a_trial_that_proves_nothing_lets_the_next_caller_try(clock: FakeClock) -> None:
    breaker = open_breaker(clock)
    clock.advance(10)
    breaker.record(admit(breaker), Outcome.UNKNOWN)  # cancelled before the service answered
    assert breaker.state == "half-open"
    assert admit(breaker).trial


def test_an_unknown_outcome_while_closed_neither_counts_nor_resets(clock: FakeClock) -> None:
    breaker = CircuitBreaker(3, 10.0, clock=clock)
    fail(breaker, 2)
    breaker.record(admit(breaker), Outcome.UNKNOWN)
    assert breaker.failures == 2
    fail(breaker)
    assert breaker.state == "open"


def test_calls_admitted_before_a_transition_do_not_move_the_circuit(clock: FakeClock) -> None:
    breaker = CircuitBreaker(2, 10.0, clock=clock)
    slow = admit(breaker)  # let in while closed, answers late
    fail(breaker, 2)
    assert breaker.state == "open"
    breaker.record(slow, Outcome.SUCCESS)
    assert breaker.state == "open"  # a stale success does not close an open circuit
    clock.advance(10)
    trial = admit(breaker)
    breaker.record(slow, Outcome.FAILURE)
    assert breaker.state == "half-open"  # nor does a stale failure re-open during the trial
    assert breaker.acquire() is None
    breaker.record(trial, Outcome.SUCCESS)
    assert breaker.state == "closed"


def test_a_threshold_of_one_opens_on_the_first_failure(clock: FakeClock) -> None:
    breaker = CircuitBreaker(1, 0.5, clock=clock)
    fail(breaker)
    assert breaker.state == "open"
    clock.advance(0.5)
    assert admit(breaker).trial


@pytest.mark.parametrize(("threshold", "timeout"), [(0, 1.0), (1, 0.0), (3, -1.0)])
def test_invalid_settings_are_refused(threshold: int, timeout: float) -> None:
    with pytest.raises(ValueError, match=r"failure_threshold|reset_timeout"):
        CircuitBreaker(threshold, timeout)
