"""Refusals on /metrics: 401s by reason (the auth gate), rate-limit refusals by reason, RBAC refusals
by kind -- on the fast path and the SDK path."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import anyio
import anyio.lowlevel
import httpx2
import pytest
from prometheus_client import generate_latest

from mcpgen.runtime.auth import gate
from mcpgen.runtime.auth.settings import AuthSettings
from mcpgen.runtime.middleware.metrics import Metrics
from mcpgen.runtime.middleware.ratelimit import RateLimit
from mcpgen.runtime.pipeline import CallContext, CallError, compose
from mcpgen.runtime.settings import LimitSettings
from mcpgen.runtime.telemetry.metrics import AUTH_FAILURE_REASONS, RATE_LIMIT_REASONS, Instruments
from mcpgen.secrets.api_keys import ApiKey, ApiKeyFile, hash_key

from .conftest import fixture_files
from .test_auth import ROLES, both, make_keys, requests
from .test_fastpath import serving
from .test_limits import Hold, add_call, context, post
from .test_limits import both as limited
from .test_metrics import samples, value

pytestmark = pytest.mark.anyio


async def scrape(client: httpx2.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return samples(response.text)


async def test_every_bounded_series_is_there_before_the_first_refusal(tmp_path: Path) -> None:
    async with serving(tmp_path, fixture_files("basic")) as client:
        found = await scrape(client)
    for reason in RATE_LIMIT_REASONS:
        assert ("mcpgen_rate_limited_total", frozenset({("reason", reason)})) in found
    for reason in AUTH_FAILURE_REASONS:
        assert ("mcpgen_auth_failures_total", frozenset({("reason", reason)})) in found
    for kind in ("tool", "resource", "prompt"):
        assert ("mcpgen_forbidden_total", frozenset({("kind", kind)})) in found


async def test_rate_limit_refusals_are_counted_by_reason(tmp_path: Path) -> None:
    async with limited(tmp_path, fixture_files("basic"), rate_limit="2/minute") as apps:
        for client in apps:
            for a in range(4):  # the client's 2/minute: the last two are refused
                await post(client, *add_call("legacy", a))
            found = await scrape(client)
            assert value(found, "mcpgen_rate_limited_total", reason="client") == 2
            assert value(found, "mcpgen_rate_limited_total", reason="tool") == 0
            assert (
                value(found, "mcpgen_calls_total", method="tools/call", target="add", outcome="rejected") == 2
            )


def tool_call(name: str, peer: str) -> CallContext:
    """A call of tool ``name`` from ``peer``, against a registry that has it (for the metric's target)."""
    call = context(peer=peer)
    call.name = name
    call.registry = SimpleNamespace(tools={name: None})  # type: ignore[assignment]
    return call


async def test_tool_and_concurrency_refusals_are_counted_by_reason() -> None:
    instruments = Instruments()
    limit = RateLimit(LimitSettings(tool_rate_limits={"add": "1/minute"}, max_concurrent_calls=1))
    hold = Hold()
    chain = compose([Metrics(instruments), limit], hold)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(chain, tool_call("shout", "10.0.0.1"))
            while hold.started < 1:
                await anyio.lowlevel.checkpoint()
            with pytest.raises(CallError):  # one in flight already
                await chain(tool_call("shout", "10.0.0.1"))
            hold.release.set()
        await chain(tool_call("add", "10.0.0.1"))
        with pytest.raises(CallError):  # over add's 1/minute
            await chain(tool_call("add", "10.0.0.1"))
    found = samples(generate_latest(instruments.registry).decode())
    assert value(found, "mcpgen_rate_limited_total", reason="concurrency") == 1
    assert value(found, "mcpgen_rate_limited_total", reason="tool") == 1
    assert value(found, "mcpgen_rate_limited_total", reason="client") == 0


async def test_auth_failures_and_forbidden_calls_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gate, "RELOAD_EVERY", 0.0)
    keys_file = tmp_path / "keys" / "api_keys.json"
    keys = make_keys(keys_file)
    expired = "mcpgen_" + "x" * 43
    store = ApiKeyFile(keys_file)
    old = ApiKey(
        "old", "admin", "2020-01-01T00:00:00+00:00", "2020-02-01T00:00:00+00:00", hash_key(expired), "x"
    )
    store._write({**{k.name: k for k in store.list()}, "old": old})
    auth = AuthSettings(api_keys=True, api_keys_file=keys_file, roles=ROLES)
    content, headers = next(requests("tools/list"))
    forbidden, forbidden_headers = next(
        requests("tools/call", {"name": "wipe", "arguments": {"target": "db"}})
    )
    async with both(tmp_path, auth) as clients:
        assert store.revoke("admin-key")
        for client in clients:
            for credentials in (
                {},  # missing
                {"authorization": f"Basic {keys['reader']}"},  # invalid
                {"x-api-key": "not-a-key"},  # invalid
                {"x-api-key": expired},  # expired
                {"x-api-key": keys["admin"]},  # revoked
            ):
                response = await client.post("/mcp", content=content, headers={**headers, **credentials})
                assert response.status_code == 401
            reader = {"authorization": f"Bearer {keys['reader']}"}
            response = await client.post("/mcp", content=forbidden, headers={**forbidden_headers, **reader})
            assert "error" in response.json()
            found = await scrape(client)
            counts = {r: value(found, "mcpgen_auth_failures_total", reason=r) for r in AUTH_FAILURE_REASONS}
            assert counts == {"missing": 1, "invalid": 2, "expired": 1, "revoked": 1, "unavailable": 0}
            assert value(found, "mcpgen_forbidden_total", kind="tool") == 1
            assert value(found, "mcpgen_forbidden_total", kind="resource") == 0
