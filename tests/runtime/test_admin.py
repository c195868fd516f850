"""The admin API, reloads (API, SIGHUP) and the per-call log context.

In process over the ASGI transport, except SIGHUP, which needs a real server process.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest

from mcpgen.common.masking import HIDDEN
from mcpgen.config.models import ServiceConfig
from mcpgen.errors import ConfigError, LoadError
from mcpgen.manifest import load
from mcpgen.runtime import Registry, Settings, create_app
from mcpgen.runtime.logs import configure_logging

from .conftest import fixture_files, make_manifest, start_server
from .test_fastpath import body, call, legacy
from .test_metrics import samples, value

pytestmark = pytest.mark.anyio
TOKEN = "admin-token-0123456789abcdef"
AUTH = {"authorization": f"Bearer {TOKEN}"}
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@asynccontextmanager
async def serving(
    tmp_path: Path, files: dict[str, str] | None = None, rebuild: Any = None, **settings: Any
) -> AsyncIterator[httpx2.AsyncClient]:
    manifest, s = make_manifest(tmp_path, files or fixture_files("basic"), **settings)
    app = create_app(manifest, s, rebuild=rebuild)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            yield client


async def add(client: httpx2.AsyncClient, name: str = "add", **headers: str) -> None:
    arguments = {"a": 1, "b": 2} if name == "add" else {}
    await client.post(
        "/mcp", content=body("tools/call", call(name, arguments)), headers={**legacy(), **headers}
    )


async def test_no_token_no_admin_api(tmp_path: Path) -> None:
    async with serving(tmp_path) as client:
        for path in ("/admin/stats", "/admin/config", "/admin/debug-info"):
            assert (await client.get(path, headers=AUTH)).status_code == 404
        assert (await client.post("/admin/reload", headers=AUTH)).status_code == 404


async def test_every_admin_route_wants_the_token(tmp_path: Path) -> None:
    async with serving(tmp_path, admin_token=TOKEN) as client:
        for wrong in ({}, {"authorization": "Bearer nope"}, {"authorization": TOKEN}):
            for path in ("/admin/stats", "/admin/config", "/admin/debug-info"):
                response = await client.get(path, headers=wrong)
                assert response.status_code == 401
                assert response.headers["www-authenticate"].startswith("Bearer")
            assert (await client.post("/admin/reload", headers=wrong)).status_code == 401


async def test_stats_count_calls_per_tool(tmp_path: Path) -> None:
    async with serving(tmp_path, admin_token=TOKEN) as client:
        for _ in range(4):
            await add(client)
        await add(client, "crash")
        stats = (await client.get("/admin/stats", headers=AUTH)).json()
    rows = {row["target"]: row for row in stats["calls"]}
    assert rows["add"]["calls"] == 4
    assert rows["add"]["errors"] == 0
    assert rows["add"]["errorRate"] == 0
    assert rows["add"]["p50Ms"] is not None
    assert rows["add"]["p99Ms"] >= rows["add"]["p50Ms"]
    assert rows["crash"]["errors"] == 1
    assert rows["crash"]["errorRate"] == 1.0
    assert stats["uptimeSeconds"] > 0
    assert stats["ready"] is True
    assert stats["registry"]["tools"] > 5
    assert stats["reloads"] == {"count": 0, "failures": 0, "last": None}


async def test_config_masks_every_secret(tmp_path: Path) -> None:
    key = "k" * 40
    service = ServiceConfig(api_key="service-api-key-123456", extras={"password": "hunter2-hunter2"})
    async with serving(
        tmp_path, admin_token=TOKEN, request_state_key=key, services={"crm": service},
        secret_values=["service-api-key-123456"],
    ) as client:  # fmt: skip
        response = await client.get("/admin/config", headers=AUTH)
    text = response.text
    for secret in (TOKEN, key, "service-api-key-123456", "hunter2-hunter2"):
        assert secret not in text
    config = response.json()
    assert config["monitoring"]["admin_token"] == HIDDEN
    assert config["http"]["request_state_key"] == HIDDEN
    assert config["services"]["crm"]["api_key"] == HIDDEN
    assert config["http"]["port"] == 8080  # the rest is shown


async def test_debug_info_has_versions_limits_and_recent_errors(tmp_path: Path) -> None:
    async with serving(tmp_path, admin_token=TOKEN) as client:
        await add(client, "crash")
        info = (await client.get("/admin/debug-info", headers=AUTH)).json()
    assert info["versions"]["mcpgen"]
    assert info["versions"]["mcp"]
    assert info["limits"]["maxRequestSize"] == 4 * 1024 * 1024
    assert any(e["msg"] == "tool failed" and e["request_id"] == 7 for e in info["recentErrors"])
    assert TOKEN not in json.dumps(info)


async def test_reload_swaps_and_reports_what_changed(tmp_path: Path) -> None:
    calc = fixture_files("basic")["calc.py"]
    new_manifest, _ = make_manifest(
        tmp_path / "next", {"calc.py": calc, "failing.py": fixture_files()["failing.py"]}
    )

    def rebuild(settings: Settings) -> Registry:
        return Registry.load(new_manifest, dataclasses.replace(settings, root=tmp_path / "next"), purge=True)

    async with serving(tmp_path, {"calc.py": calc}, rebuild=rebuild, admin_token=TOKEN) as client:
        response = await client.post("/admin/reload", headers=AUTH)
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["ok"] is True
        assert report["trigger"] == "admin API"
        assert report["changes"]["tools"]["added"] == ["crash", "refuse"]
        assert report["changes"]["tools"]["removed"] == []
        await add(client, "crash")  # the new tool answers
        stats = (await client.get("/admin/stats", headers=AUTH)).json()
        assert {r["target"] for r in stats["calls"]} == {"crash"}
        assert stats["reloads"]["count"] == 1
        assert stats["reloads"]["last"]["ok"] is True
        found = samples((await client.get("/metrics")).text)
    assert value(found, "mcpgen_reloads_total", outcome="ok") == 1
    assert value(found, "mcpgen_last_reload_success") == 1


async def test_a_failed_reload_keeps_the_old_tools_and_says_why(tmp_path: Path) -> None:
    def rebuild(settings: Settings) -> Registry:
        raise LoadError("tools/calc.py: SyntaxError: invalid syntax (line 3)", path="tools/calc.py")

    async with serving(tmp_path, rebuild=rebuild, admin_token=TOKEN) as client:
        response = await client.post("/admin/reload", headers=AUTH)
        assert response.status_code == 422
        assert "SyntaxError" in response.json()["error"]
        answer = (
            await client.post(
                "/mcp", content=body("tools/call", call("add", {"a": 2, "b": 2})), headers=legacy()
            )
        ).json()
        assert answer["result"]["structuredContent"] == {"result": 4}  # still the old tools
        stats = (await client.get("/admin/stats", headers=AUTH)).json()
        assert stats["reloads"]["failures"] == 1
        assert "SyntaxError" in stats["reloads"]["last"]["error"]
        found = samples((await client.get("/metrics")).text)
    assert value(found, "mcpgen_reloads_total", outcome="failed") == 1
    assert value(found, "mcpgen_last_reload_success") == 0


async def test_log_lines_carry_request_and_trace_id(tmp_path: Path) -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    configure_logging("info", stream, format="json")
    try:
        async with serving(tmp_path, access_log=True) as client:
            await add(client, "crash", traceparent=TRACEPARENT)
            await add(client)
    finally:
        for handler in [h for h in root.handlers if h.get_name() == "mcpgen-runtime"]:
            root.removeHandler(handler)
        root.setLevel(level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    failure = next(line for line in lines if line["msg"] == "tool failed")
    assert failure["request_id"] == 7
    assert failure["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    access = [line for line in lines if line["logger"] == "mcpgen.access"]
    assert [(a["target"], a["outcome"], a["path"]) for a in access] == [
        ("crash", "error", "fast"),
        ("add", "ok", "fast"),
    ]
    assert access[0]["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert "trace_id" not in access[1]
    assert all(a["request_id"] == 7 and a["duration_ms"] >= 0 and a["method"] == "tools/call" for a in access)


def test_sighup_reloads_the_manifest_file(tmp_path: Path) -> None:
    files = fixture_files("basic")
    make_manifest(tmp_path, {"calc.py": files["calc.py"]})
    server = start_server(tmp_path, "--set", f"monitoring.admin.token={TOKEN}")
    try:
        # the manifest on disk gains a tool; SIGHUP makes the server load it
        make_manifest(tmp_path, {"calc.py": files["calc.py"], "failing.py": files["failing.py"]})
        assert {t.name for t in load(tmp_path / ".mcpgen" / "manifest.json").tools} >= {"refuse"}
        os.kill(server.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 20
        stats: dict[str, Any] = {}
        while time.monotonic() < deadline:
            stats = httpx2.get(f"{server.url}/admin/stats", headers=AUTH, timeout=5).json()
            if stats["reloads"]["count"]:
                break
            time.sleep(0.1)
        last = stats["reloads"]["last"]
        assert last is not None, server.log()
        assert (last["ok"], last["trigger"]) == (True, "SIGHUP"), server.log()
        assert "refuse" in last["changes"]["tools"]["added"]
        assert server.proc.poll() is None  # SIGHUP did not end it
    finally:
        assert server.stop() == 0


def test_monitoring_settings_name_the_bad_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"monitoring\.admin\.token must be at least 16"):
        Settings.of(tmp_path, admin_token="short")
    with pytest.raises(ConfigError, match=r"monitoring\.metrics\.path must start with /"):
        Settings.of(tmp_path, metrics_path="metrics")
