"""One broken connector does not stop `mcpgen dev`/`serve`: the rest is served, the problem is in /health
and the log; a connector declared `required` still stops the server."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest
from cli_support import Cli, start_cli, start_cli_expect_exit
from mcp import Client

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

ECHO = '''from mcpgen import tool


@tool
def echo(text: str) -> str:
    """Echo the text back."""
    return text
'''

BROKEN_PY = '''from mcpgen import connector


@connector(name="broken", auth="magic")
class Broken:
    """A connector with an unknown auth kind."""
'''

USES_BROKEN = '''from connectors.broken import Broken

from mcpgen import tool


@tool
def fetch(client: Broken, key: str) -> str:
    """Fetch through the broken connector."""
    return key
'''

NOTION_TS = """export default {
  metadata: {
    name: "notion",
    type: "http",
    authentication: { type: "magic" },
    credentials: ["NOTION_TOKEN"],
    rateLimits: { requestsPerSecond: 3 },
  },
  async initialize(config: Record<string, unknown>) {},
  async getPage(id: string) { return { id }; },
};
"""


def _workspace(root: Path, notion: str = NOTION_TS) -> Path:
    files = {
        "mcpgen.yaml": "name: partial\n",
        "tools/echo.py": ECHO,
        "tools/uses_broken.py": USES_BROKEN,
        "connectors/broken.py": BROKEN_PY,
        "connectors/notion.ts": notion,
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


@pytest.mark.parametrize("command", [["dev"], ["serve"]])
async def test_broken_optional_connectors_are_left_out_and_the_rest_is_served(
    tmp_path: Path, running: list[Cli], command: list[str]
) -> None:
    workspace = _workspace(tmp_path / "ws")
    cli = start_cli(tmp_path, *command, str(workspace))
    running.append(cli)
    async with Client(cli.mcp_url) as client:
        assert [t.name for t in (await client.list_tools()).tools] == ["echo"]
        assert (await client.call_tool("echo", {"text": "hi"})).content[0].text == "hi"  # type: ignore[union-attr]
    health = httpx2.get(cli.mcp_url.removesuffix("/mcp") + "/health").json()
    assert health["status"] == "degraded"
    notion = health["connectors"]["notion"]
    assert (notion["state"], notion["path"], notion["line"]) == ("invalid", "connectors/notion.ts", 5)
    assert "authentication.type" in notion["lastError"]
    assert health["connectors"]["broken"]["path"] == "connectors/broken.py"
    left_out = {(p["path"], p["line"]) for p in health["leftOut"]}
    assert ("tools/uses_broken.py", 1) in left_out  # imports the broken connector
    assert all("detail" not in p for p in health["leftOut"])
    cli.wait_for_log("left out (not served): connectors/notion.ts:5")
    assert "connectors/broken.py:4" in cli.log()


def test_a_broken_connector_declared_required_still_stops_the_server(tmp_path: Path) -> None:
    required = NOTION_TS.replace('    type: "http",\n', '    type: "http",\n    required: true,\n')
    workspace = _workspace(tmp_path / "ws", notion=required)
    output = start_cli_expect_exit(tmp_path, "serve", str(workspace))
    assert "connectors/notion.ts:6: error" in output  # every error is reported, nothing served
    assert "3 error(s)" in output
