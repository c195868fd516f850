"""Runtime plugins: a workspace plugin's middleware sees calls on the fast path and the SDK path; start hook."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from mcpgen.errors import PluginError
from mcpgen.plugins import PluginOptions
from mcpgen.runtime import create_app

from .conftest import fixture_files, make_manifest
from .test_fastpath import body, call, legacy

pytestmark = pytest.mark.anyio

PLUGIN = '''
"""Writes each call it sees to a file and refuses the tool named in its settings."""
import json
from pathlib import Path

from mcpgen.plugins import hookimpl
from mcpgen.runtime import CallError


class Witness:
    def __init__(self, log: Path, refuse: str) -> None:
        self.log = log
        self.refuse = refuse

    async def __call__(self, call, call_next):
        with self.log.open("a") as fh:
            fh.write(json.dumps([call.method, call.name, call.path]) + "\\n")
        if call.name == self.refuse:
            raise CallError(-32001, f"{call.name} is switched off by a plugin")
        return await call_next(call)


@hookimpl
def mcpgen_middleware(context, settings):
    return [Witness(Path(context.settings["log"]), context.settings.get("refuse", ""))]


@hookimpl
async def mcpgen_server_start(context, manifest, settings):
    with Path(context.settings["log"]).open("a") as fh:
        fh.write(json.dumps(["start", manifest.server.name, len(manifest.tools)]) + "\\n")
'''


def seen(log: Path) -> list[list[object]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


async def test_a_workspace_plugins_middleware_sees_calls_on_the_fast_path_and_the_sdk_path(
    tmp_path: Path,
) -> None:
    manifest, settings = make_manifest(tmp_path, fixture_files("basic"))
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "witness.py").write_text(PLUGIN)
    log = tmp_path / "calls.jsonl"
    options = PluginOptions(settings={"witness": {"log": str(log), "refuse": "crash"}})
    app = create_app(manifest, dataclasses.replace(settings, plugins=options))
    async with app.router.lifespan_context(app):
        assert seen(log) == [["start", "runtime-test", len(manifest.tools)]]
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as http:
            with anyio.fail_after(20):
                fast = await http.post(
                    "/mcp", content=body("tools/call", call("add", {"a": 1, "b": 2})), headers=legacy()
                )
                refused = await http.post("/mcp", content=body("tools/call", call("crash")), headers=legacy())
        assert fast.json()["result"]["content"][0]["text"] == "3"
        assert refused.json()["error"] == {"code": -32001, "message": "crash is switched off by a plugin"}
        async with Client(app.state.mcp_server, mode="legacy") as client:  # the SDK path, in memory
            with anyio.fail_after(20):
                worked = await client.call_tool("add", {"a": 2, "b": 2})
                with pytest.raises(MCPError, match="switched off by a plugin"):
                    await client.call_tool("crash", {})
    assert not worked.is_error
    tool_calls = [entry for entry in seen(log) if entry[0] == "tools/call"]
    assert tool_calls == [
        ["tools/call", "add", "fast"],
        ["tools/call", "crash", "fast"],
        ["tools/call", "add", "sdk"],
        ["tools/call", "crash", "sdk"],
    ]


async def test_a_failing_runtime_plugin_is_logged_and_a_required_one_stops_the_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    manifest, settings = make_manifest(tmp_path, fixture_files("basic"))
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "flaky.py").write_text(
        "from mcpgen.plugins import hookimpl\n\n@hookimpl\ndef mcpgen_middleware(context):\n"
        "    raise RuntimeError('no middleware today')\n"
    )
    with caplog.at_level("WARNING", logger="mcpgen.runtime"):
        app = create_app(manifest, settings)
    assert "plugin 'flaky' failed in mcpgen_middleware: RuntimeError: no middleware today" in caplog.text
    assert [type(m).__name__ for m in app.state.mcp_pipeline.middleware] == [
        "Metrics"
    ]  # the configured ones only
    required = dataclasses.replace(settings, plugins=PluginOptions(required=("flaky",)))
    with pytest.raises(PluginError, match="required plugin 'flaky' failed in mcpgen_middleware") as caught:
        create_app(manifest, required)
    assert caught.value.plugins == ("flaky",)
