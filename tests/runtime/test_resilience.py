"""ServiceGuard: the circuit breaker around connector calls (fake clock, no sleeping)."""

from __future__ import annotations

import asyncio

import pytest

from mcpgen.authoring import ConnectorError, ConnectorUnavailable
from mcpgen.runtime.connectors.resilience import CircuitOpen, ServiceGuard, is_failure

pytestmark = pytest.mark.anyio


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


class Down(Exception):
    """A driver's own error: the service is unreachable."""


async def failing_call(guard: ServiceGuard, exc: BaseException) -> None:
    with pytest.raises(type(exc)):
        async with guard:
            raise exc


async def ok_call(guard: ServiceGuard) -> None:
    async with guard:
        pass


def guard(clock: FakeClock, threshold: int = 2, timeout: float = 30.0) -> ServiceGuard:
    return ServiceGuard("crm", failure_threshold=threshold, reset_timeout=timeout, clock=clock)


async def test_an_open_circuit_refuses_at_once_naming_the_connector_and_the_wait() -> None:
    clock = FakeClock()
    g = guard(clock)
    await failing_call(g, Down("connection reset"))
    assert g.state == "closed"
    await failing_call(g, Down("connection reset"))
    assert g.state == "open"
    clock.now += 12
    with pytest.raises(CircuitOpen) as info:
        await ok_call(g)
    assert info.value.message == (
        "connector 'crm' is cut off after 2 failures in a row (circuit open); next try in 18s"
    )
    assert info.value.connector == "crm"
    assert isinstance(info.value, ConnectorUnavailable)
    assert g.retry_in() == 18.0


async def test_errors_about_the_request_do_not_count_as_failures() -> None:
    g = guard(FakeClock(), threshold=1)
    await failing_call(g, ConnectorError("no such page", connector="crm"))
    await failing_call(g, ConnectorError("bad query", connector="crm"))
    assert g.state == "closed"
    await failing_call(g, ConnectorUnavailable("down", connector="crm"))
    assert g.state == "open"


async def test_the_listener_hears_the_state_and_the_failure_after_each_call() -> None:
    clock = FakeClock()
    g = guard(clock)
    heard: list[tuple[str, str | None]] = []
    g.listen(lambda state, error: heard.append((state, None if error is None else str(error))))
    await ok_call(g)
    await failing_call(g, Down("a"))
    await failing_call(g, Down("b"))
    with pytest.raises(CircuitOpen):
        await ok_call(g)  # refused before it ran: nothing to hear
    clock.now += 30
    await ok_call(g)
    assert heard == [("closed", None), ("closed", "a"), ("open", "b"), ("closed", None)]


async def test_half_open_lets_one_trial_through_and_refuses_the_rest_while_it_runs() -> None:
    clock = FakeClock()
    g = guard(clock)
    await failing_call(g, Down("x"))
    await failing_call(g, Down("x"))
    clock.now += 30
    assert g.state == "half-open"
    release = asyncio.Event()
    entered = asyncio.Event()

    async def trial() -> None:
        async with g:
            entered.set()
            await release.wait()

    task = asyncio.create_task(trial())
    await entered.wait()
    with pytest.raises(CircuitOpen, match=r"\(circuit open\); a trial call is under way"):
        await ok_call(g)
    release.set()
    await task
    assert g.state == "closed"
    await ok_call(g)


async def test_a_failed_trial_opens_the_circuit_again() -> None:
    clock = FakeClock()
    g = guard(clock, threshold=1, timeout=5)
    await failing_call(g, Down("x"))
    clock.now += 5
    await failing_call(g, Down("still down"))
    assert g.state == "open"
    assert g.retry_in() == 5.0


async def test_a_cancelled_trial_lets_the_next_call_try() -> None:
    clock = FakeClock()
    g = guard(clock, threshold=1, timeout=5)
    await failing_call(g, Down("x"))
    clock.now += 5
    started = asyncio.Event()

    async def hang() -> None:
        async with g:
            started.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(hang())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert g.state == "half-open"
    await ok_call(g)
    assert g.state == "closed"


async def test_nested_guards_each_report_their_own_call() -> None:
    clock = FakeClock()
    outer, inner = guard(clock, threshold=1), guard(clock, threshold=1)

    async def both() -> None:
        async with outer:
            async with inner:
                pass  # the inner call succeeded
            raise Down("outer failed after")

    with pytest.raises(Down):
        await both()
    assert (outer.state, inner.state) == ("open", "closed")


def test_cancellation_is_not_a_failure_and_driver_errors_are() -> None:
    assert not is_failure(asyncio.CancelledError())
    assert not is_failure(ConnectorError("bad request", connector="c"))
    assert is_failure(ConnectorUnavailable("down", connector="c"))
    assert is_failure(OSError("connection reset"))
