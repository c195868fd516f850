"""The pytest plugin, used the way a workspace uses it: pytest runs in the workspace (a child process).

One workspace with a tool, a connector mocked by ``mock_connector``, a schema snapshot, a recorded
session replayed by ``mcp_replay`` and as a collected ``*.mcp.jsonl`` item; plus ``mcpgen init`` then
``mcpgen test`` (passes, then fails once the tool is broken).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from mcpgen.testing import client_for
from mcpgen.workflows.init import init_workspace
from mcpgen.workflows.sessions import start_recording

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

CONNECTOR = """\
from typing import Any

from mcpgen import Connector, Credential, connector


@connector(
    name="weather",
    kind="http",
    auth="token",
    credentials=[Credential("WEATHER_TOKEN", kind="token")],
    required=False,
    endpoint="https://weather.invalid",
)
class Weather(Connector):
    async def health(self) -> bool:
        return (await self.http.get("/health")).status_code == 200

    async def today(self, city: str) -> dict[str, Any]:
        response = await self.http.get(f"/v1/today/{city}")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result
"""

TOOL = '''\
from connectors.weather import Weather
from mcpgen import tool


@tool
async def forecast(city: str, weather: Weather) -> str:
    """Today's sky in a city."""
    today = await weather.today(city)
    return f"{today['city']}: {today['sky']}"
'''

TESTS = """\
import pytest

from mcpgen.testing import assert_tool_error, assert_tool_ok


@pytest.fixture
def weather(mock_connector):
    return mock_connector(
        "weather",
        responses={
            "GET /health": {"ok": True},
            "GET /v1/today/*": lambda request: {"city": request.path.rsplit("/", 1)[-1], "sky": "clear"},
        },
        environ={"WEATHER_TOKEN": "wt-secret-123"},
    )


async def test_forecast_through_the_mock(weather, mcp_client):
    assert_tool_ok(await mcp_client.call_tool("forecast", {"city": "Oslo"}), text="Oslo: clear")
    sent = weather.requests_to("/v1/today/*")[-1]
    assert sent.headers["authorization"] == "Bearer wt-secret-123"


async def test_tool_and_protocol_errors(mcp_client, mcp_wire):
    assert_tool_error(await mcp_client.call_tool("greet", {"name": " "}), message="must not be empty")
    with assert_tool_error(code=-32602):
        await mcp_client.call_tool("greet", {})


async def test_failing_assertion_is_reported(mcp_client):
    assert_tool_ok(await mcp_client.call_tool("greet", {"name": "Ada"}), text="Bonjour, Ada.")


def test_a_mock_after_the_server_started_is_refused(mcp_server, mock_connector):
    with pytest.raises(RuntimeError, match="after mcp_server started"):
        mock_connector("weather")


async def test_schema(mcp_client, mcp_snapshot):
    mcp_snapshot(await mcp_client.list_tools(), tool="greet")


def test_replay(mcp_replay):
    mcp_replay("sessions/greet.jsonl")
"""


def pytest_in(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "MCPGEN_WORKSPACE"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "--tb=short", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def outcomes(output: str) -> dict[str, str]:
    """``{test id: PASSED|FAILED|ERROR}`` from ``-rA``'s short summary."""
    return {m[1]: m[0] for m in re.findall(r"^(PASSED|FAILED|ERROR) (\S+)", output, re.MULTILINE)}


async def greet_session(mcp_url: str) -> None:
    async with client_for(mcp_url, "2026-07-28") as client:
        await client.call_tool("greet", {"name": "Ada"})


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plugin") / "ws"
    init_workspace(root)
    (root / "connectors" / "weather.py").write_text(CONNECTOR)
    (root / "tools" / "forecast.py").write_text(TOOL)
    (root / "tests" / "test_tools.py").write_text(TESTS)
    (root / "tests" / "sessions").mkdir()
    recording = start_recording(root, root / "tests" / "sessions" / "greet.jsonl")
    try:
        anyio.run(greet_session, recording.mcp_url)
    finally:
        recording.stop()
    (root / "tests" / "sessions" / "greet.mcp.jsonl").write_text(
        (root / "tests" / "sessions" / "greet.jsonl").read_text()
    )
    return root


def test_fixtures_mocks_snapshots_and_replay_in_a_workspace(workspace: Path) -> None:
    run = pytest_in(workspace, "tests")
    got = outcomes(run.stdout)
    prefix = "tests/test_tools.py::"
    assert got == {
        **{
            f"{prefix}{name}[asyncio-wire={wire}]": "PASSED"
            for name in ("test_forecast_through_the_mock", "test_tool_and_protocol_errors", "test_schema")
            for wire in ("2025-11-25", "2026-07-28")
        },
        **{
            f"{prefix}test_failing_assertion_is_reported[asyncio-wire={w}]": "FAILED"
            for w in ("2025-11-25", "2026-07-28")
        },
        f"{prefix}test_a_mock_after_the_server_started_is_refused": "PASSED",
        f"{prefix}test_replay": "PASSED",
        "tests/sessions/greet.mcp.jsonl::replay": "PASSED",
    }, run.stdout + run.stderr
    assert "tool text 'Hello, Ada.' != expected 'Bonjour, Ada.'" in run.stdout
    snapshot = workspace / "tests" / "__snapshots__" / "test_tools" / "test_schema.greet.json"
    assert '"name": "greet"' in snapshot.read_text()

    # the tool changes: the snapshot, the replay and the collected session fail, each saying why
    greet = workspace / "tools" / "greet.py"
    greet.write_text(
        greet.read_text()
        .replace('return f"Hello,', 'return f"Hi,')
        .replace("Who to greet.", "Whom to greet.")
    )
    run = pytest_in(workspace, "tests", "-k", "schema or replay", "--mcp-wire", "2026-07-28")
    got = outcomes(run.stdout)
    assert got == {
        "tests/sessions/greet.mcp.jsonl::replay": "FAILED",
        "tests/test_tools.py::test_replay": "FAILED",
        "tests/test_tools.py::test_schema[asyncio-wire=2026-07-28]": "FAILED",
    }, run.stdout + run.stderr
    assert "the schema changed from the snapshot" in run.stdout
    assert re.search(r'^E   \+\s+"description": "Whom to greet\.",$', run.stdout, re.MULTILINE)
    assert re.search(r"^#\d+ tools/call greet \(line \d+\):$", run.stdout, re.MULTILINE)
    assert re.search(r'^\s+\+\s+"text": "Hi, Ada\.",$', run.stdout, re.MULTILINE)

    # --mcp-update-snapshots accepts the new schema; the next run compares against it
    run = pytest_in(workspace, "tests", "-k", "schema", "--mcp-update-snapshots", "--mcp-wire", "2026-07-28")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Whom to greet." in snapshot.read_text()
    run = pytest_in(
        workspace, "tests", "-k", "schema", "--mcp-wire", "2026-07-28", "--mcp-server", "subprocess"
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_init_then_mcpgen_test_passes_and_a_broken_tool_fails(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    root = tmp_path / "fresh"

    def mcpgen(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "mcpgen", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=240)

    assert mcpgen("init", str(root)).returncode == 0
    assert (root / "tests" / "test_tools.py").is_file()
    passed = mcpgen("test", str(root))
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "4 passed" in passed.stdout
    greet = root / "tools" / "greet.py"
    greet.write_text(
        greet.read_text().replace(
            '    return f"Hello,', "    raise RuntimeError('broken')\n    return f\"Hello,"
        )
    )
    failed = mcpgen("test", str(root), "--", "-x", "-q")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "FAILED tests/test_tools.py::test_greet" in failed.stdout
    (root / "tools" / "broken.py").write_text("import not_a_module_xyz\n")  # the workspace stops validating
    invalid = mcpgen("test", str(root), "--", "-q")
    assert invalid.returncode == 1, invalid.stdout + invalid.stderr
    assert "does not validate" in invalid.stdout
    assert "tools/broken.py:1: error: cannot import 'not_a_module_xyz'" in invalid.stdout


def test_the_plugin_is_registered_and_stays_out_of_the_way() -> None:
    """Installed, pytest loads it by entry point (this very run has it), and nothing of its weight."""
    from importlib.metadata import entry_points

    assert [ep.value for ep in entry_points(group="pytest11") if ep.name == "mcpgen"] == [
        "mcpgen.testing.plugin"
    ]
    probe = "import sys, mcpgen.testing.plugin; print(sorted(m for m in ('mcp', 'uvicorn', 'docker', 'httpx') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("template", ["typescript", "connector"])
def test_the_example_test_of_each_template_passes(tmp_path: Path, template: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    root = tmp_path / template
    command = [sys.executable, "-m", "mcpgen", "init", str(root), "--template", template]
    subprocess.run(command, check=True, capture_output=True, env=env, timeout=120)
    run = subprocess.run(
        [sys.executable, "-m", "mcpgen", "test", str(root), "--", "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 passed" in run.stdout
