"""Serving needs only the runtime set: nothing of the ``cli`` extra is imported.

A generated image installs ``mcpgen`` without the ``cli`` extra (pyproject.toml).
These tests run the real servers in a subprocess whose import system refuses the
``cli`` extra's packages (as if they were not installed) and records who asked
for them: ``python -m mcpgen.runtime`` (what the image runs) and
``python -m mcpgen.cli.devserver`` (what ``mcpgen run --dev`` runs in the image)
must start, answer a tool call over HTTP, stop cleanly, and never have asked.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from mcpgen.__main__ import CLI_PACKAGES
from server_support import free_port, stop_process, wait_ready

from .conftest import FIXTURES, fixture_files, make_manifest, runtime_env

pytestmark = pytest.mark.integration

PROBE = r"""
import importlib, json, pkgutil, sys

blocked = set(sys.argv[1].split(","))
report_path = sys.argv[2]
entry = sys.argv[3]
asked = []


class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] not in blocked:
            return None
        frame = sys._getframe(1)
        while frame is not None and (
            frame.f_code.co_filename.startswith("<frozen")
            or frame.f_globals.get("__name__", "").startswith("importlib")
        ):
            frame = frame.f_back
        asked.append([name, frame.f_globals.get("__name__", "?") if frame is not None else "?"])
        raise ModuleNotFoundError(f"No module named {name!r} (refused by the test)", name=name)


sys.meta_path.insert(0, Refuse())
import mcpgen.runtime

for info in pkgutil.walk_packages(mcpgen.runtime.__path__, "mcpgen.runtime."):
    importlib.import_module(info.name)  # every runtime module, even those this config does not load
code = importlib.import_module(entry).main(sys.argv[4:])
loaded = sorted(m for m in sys.modules if m.partition(".")[0] in blocked)
with open(report_path, "w") as f:
    json.dump({"code": code, "asked": asked, "loaded": loaded}, f)
"""


def run_probe(tmp_path: Path, entry: str, blocked: set[str], *args: str) -> dict[str, Any]:
    """Start ``entry``'s ``main(args)`` under the refusing importer, call ``add``, stop it; its report."""
    port = free_port()
    report = tmp_path / "report.json"
    log_path = tmp_path / "server.log"
    cmd = [sys.executable, "-c", PROBE, ",".join(sorted(blocked)), str(report), entry, *args]
    cmd += ["--port", str(port), "--set", "logging.level=warning"]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=runtime_env())
    try:
        assert wait_ready(proc, port, log_path.read_text, timeout=60), log_path.read_text()
        answer = httpx.post(
            f"http://127.0.0.1:{port}/mcp",
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": "add", "arguments": {"a": 2, "b": 3}},
            },
            headers={
                "Accept": "application/json, text/event-stream",
                "MCP-Protocol-Version": "2025-11-25",
            },
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        assert '"text":"5"' in answer.text.replace(" ", ""), answer.text
    finally:
        code = stop_process(proc)
    assert code == 0, log_path.read_text()
    data: dict[str, Any] = json.loads(report.read_text())
    return data


def test_the_runtime_serves_without_the_cli_extra(tmp_path: Path) -> None:
    make_manifest(tmp_path, fixture_files())
    blocked = set(CLI_PACKAGES)
    report = run_probe(
        tmp_path,
        "mcpgen.runtime.__main__",
        blocked,
        "--manifest",
        str(tmp_path / ".mcpgen" / "manifest.json"),
    )
    assert report["code"] == 0
    assert [a for a in report["asked"] if a[1].startswith("mcpgen")] == []
    assert report["loaded"] == []


def test_the_container_dev_server_serves_without_the_cli_extra(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(FIXTURES / "basic", workspace)
    report = run_probe(tmp_path, "mcpgen.cli.devserver", set(CLI_PACKAGES), str(workspace))
    assert report["code"] == 0
    # only the guarded import of watchfiles: without it the reload loop polls
    assert [a for a in report["asked"] if a[1].startswith("mcpgen")] == [
        ["watchfiles", "mcpgen.workflows.watch"]
    ]
    assert report["loaded"] == []


def test_the_probe_fails_when_a_runtime_module_imports_a_refused_package(tmp_path: Path) -> None:
    """The checks above can fail: refuse a package the runtime does import (uvicorn) and see it caught."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, "uvicorn", str(tmp_path / "report.json"), "mcpgen.runtime.__main__"],
        capture_output=True,
        text=True,
        env=runtime_env(),
        timeout=60,
    )
    assert proc.returncode != 0
    assert "No module named 'uvicorn' (refused by the test)" in proc.stderr
    assert not (tmp_path / "report.json").exists()


ON_DEMAND = ("httpx", "tenacity", "jwt", "rich", "jinja2", "typer")
"""Imported only when a feature needs them: connectors (httpx, tenacity), token auth (jwt, httpx)."""


def test_a_plain_server_imports_no_on_demand_package(tmp_path: Path) -> None:
    """Start-up time and idle memory: a server without connectors or token auth leaves these unimported."""
    manifest, settings = make_manifest(tmp_path, fixture_files("basic"))
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from mcpgen.manifest import load\n"
        "from mcpgen.runtime import Settings, create_app\n"
        f"app = create_app(load(Path({str(tmp_path / '.mcpgen' / 'manifest.json')!r})), "
        f"Settings.of({str(tmp_path)!r}, module_namespace={settings.execution.module_namespace!r}))\n"
        "import mcpgen.runtime.__main__, mcpgen.runtime.serve\n"
        "print(len(app.state.mcpgen.registry.tools))\n"
        f"print(','.join(m for m in {ON_DEMAND!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=runtime_env(),
        check=True,
    )
    loaded, imported = (out.stdout + "\n").split("\n")[:2]
    assert int(loaded) == len(manifest.tools) > 0  # the app really loaded every tool
    assert imported == "", f"imported at start-up: {imported}"
