"""`mcpgen loadtest` on the command line: a workspace served for the run, --json, --html, exit codes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import orjson
import pytest
from cli_support import FIXTURES
from typer.testing import CliRunner

from mcpgen.cli.app import app
from mcpgen.workflows.loadtest_report import HISTOGRAM_ID, THROUGHPUT_ID

pytestmark = pytest.mark.integration

runner = CliRunner()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    target = tmp_path / "ws"
    shutil.copytree(FIXTURES / "loadtest", target)
    return target


def test_json_report_and_html_charts(workspace: Path, tmp_path: Path) -> None:
    """A served workspace, 2025-11-25: every third answer of `flaky` fails; exit 1; JSON and HTML say so."""
    html = tmp_path / "out" / "report.html"
    result = runner.invoke(
        app,
        ["loadtest", str(workspace), "--tool", "flaky", "-c", "3", "-n", "12", "--wire", "2025-11-25",
         "--json", "--html", str(html)],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    data = orjson.loads(result.stdout)
    assert set(data) == {
        "target", "workspace", "tool", "wire", "session", "concurrency", "durationLimit", "requestLimit",
        "timeout", "elapsed", "stoppedBy", "requests", "ok", "errors", "errorRate", "maxErrorRate", "passed",
        "rps", "latencyMs", "errorsByKind", "errorSamples", "timeline",
    }  # fmt: skip
    assert (data["requests"], data["ok"], data["errors"]) == (12, 8, 4)
    assert data["errorsByKind"] == {"tool error": 4}
    assert data["passed"] is False
    assert data["stoppedBy"] == "requests"
    assert data["wire"] == "2025-11-25"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/mcp", data["target"])
    assert data["workspace"] == str(workspace)
    assert set(data["latencyMs"]) == {"min", "mean", "p50", "p90", "p99", "max"}
    assert sum(s["ok"] + s["errors"] for s in data["timeline"]) == 12

    page = html.read_text(encoding="utf-8")
    assert f'id="{HISTOGRAM_ID}"' in page
    assert f'id="{THROUGHPUT_ID}"' in page
    assert page.count("Plotly.newPlot(") == 2  # two real Plotly charts
    assert "<script src=" not in page  # plotly.js is inlined: the file works offline
    assert "tool error" in page
    assert "FAILED" in page


def test_error_budget_and_text_summary(workspace: Path) -> None:
    """A stateless server (--set goes to the served workspace): 2025-11-25 calls without a session."""
    result = runner.invoke(
        app,
        ["loadtest", str(workspace), "--tool", "flaky", "-n", "9", "--max-error-rate", "0.5",
         "--wire", "2025-11-25", "--set", "server.protocol_mode=stateless"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert re.search(r"requests\s+9\b", result.stdout)
    assert re.search(r"tool error\s+3\b", result.stdout)
    assert re.search(r"wire\s+2025-11-25\s*$", result.stdout, re.MULTILINE)  # no "(session)"
    assert "✓ passed" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["http://192.0.2.1:8080/mcp", "--tool", "add"], "not a loopback address"),
        (["http://127.0.0.1:9/mcp", "--tool", "add", "--duration", "601"], "--duration must be between"),
        (["http://127.0.0.1:9/mcp", "--tool", "add", "--args", "[]"], "must be a JSON object"),
        (["http://127.0.0.1:9/mcp", "--tool", "add", "-H", "oops"], "--header must look like"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["loadtest", *args])
    assert result.exit_code == 2
    assert message in result.stderr
