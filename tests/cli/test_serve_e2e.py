"""`mcpgen serve` and `mcpgen dev` end to end, driven by the official MCP SDK client."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from cli_support import Cli, start_cli, start_cli_expect_exit
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def _exercise(client: Client) -> None:
    names = sorted(t.name for t in (await client.list_tools()).tools)
    assert names == ["reverse", "summarize", "word_count"]
    counted = await client.call_tool("word_count", {"text": "one two three"})
    assert counted.is_error is False
    assert counted.structured_content == {"words": 3}
    reversed_ = await client.call_tool("reverse", {"text": "abc"})
    assert reversed_.content[0].text == "cba"  # type: ignore[union-attr]
    with pytest.raises(MCPError, match="text"):
        await client.call_tool("word_count", {"text": 42})


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_serve_http_both_protocol_generations(
    good_workspace: Path, running: list[Cli], tmp_path: Path, mode: str
) -> None:
    cli = start_cli(tmp_path, "serve", str(good_workspace))
    running.append(cli)
    async with Client(cli.mcp_url, mode=mode) as client:
        expected = "2026-07-28" if mode == "auto" else "2025-11-25"
        assert client.protocol_version == expected
        await _exercise(client)
    assert (good_workspace / ".mcpgen" / "manifest.json").is_file()
    assert cli.stop() == 0


async def test_serve_stdio(good_workspace: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcpgen", "-q", "serve", str(good_workspace), "--transport", "stdio"],
    )
    async with Client(params) as client:
        await _exercise(client)


async def test_serve_exact_manifest(good_workspace: Path, running: list[Cli], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mcpgen.cli.app import app

    elsewhere = tmp_path / "out" / "manifest.json"
    in_state_dir = good_workspace / ".mcpgen" / "manifest.json"
    for target in (elsewhere, in_state_dir):
        assert CliRunner().invoke(app, ["manifest", str(good_workspace), "-o", str(target)]).exit_code == 0
    # Outside the workspace: name the workspace its paths are relative to.
    cli = start_cli(tmp_path, "serve", str(good_workspace), "--manifest", str(elsewhere))
    running.append(cli)
    async with Client(cli.mcp_url) as client:
        await _exercise(client)
    # In .mcpgen/: the workspace is found from the manifest's location.
    cli = start_cli(tmp_path, "serve", "--manifest", str(in_state_dir))
    running.append(cli)
    async with Client(cli.mcp_url) as client:
        await _exercise(client)


@pytest.mark.parametrize("command", [["dev"], ["serve", "--reload"]], ids=["dev", "serve-reload"])
async def test_dev_reloads_and_keeps_old_tools_on_a_bad_change(
    good_workspace: Path, running: list[Cli], tmp_path: Path, command: list[str]
) -> None:
    cli = start_cli(tmp_path, *command, str(good_workspace))
    running.append(cli)
    async with Client(cli.mcp_url) as client:
        assert (await client.call_tool("word_count", {"text": "a b"})).structured_content == {"words": 2}

    tool = good_workspace / "tools" / "word_count.py"
    tool.write_text(
        tool.read_text().replace('{"words": len(text.split())}', '{"words": 100 + len(text.split())}')
    )
    (good_workspace / "tools" / "shout.py").write_text(
        'from mcpgen import tool\n\n\n@tool\ndef shout(text: str) -> str:\n    """Shout."""\n    return text.upper()\n'
    )
    cli.wait_for_log("reloaded 4 tool(s)")
    async with Client(cli.mcp_url) as client:
        assert (await client.call_tool("word_count", {"text": "a b"})).structured_content == {"words": 102}
        assert (await client.call_tool("shout", {"text": "hi"})).content[0].text == "HI"  # type: ignore[union-attr]

    (good_workspace / "tools" / "shout.py").write_text("def broken(:\n")
    cli.wait_for_log("reload failed, keeping the previous tools")
    assert "shout.py:1" in cli.log()
    async with Client(cli.mcp_url) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "shout" in names, "a failed reload keeps the old tools"
        assert (await client.call_tool("shout", {"text": "still"})).content[0].text == "STILL"  # type: ignore[union-attr]
    assert cli.stop() == 0


SENTINEL = "sk-live-SENTINEL-4c0ffee5eed"
PAYMENTS_TOOL = '''
import hashlib
from mcpgen import Context, Credential, tool

@tool(credentials=[Credential("PAYMENTS_KEY", kind="api_key", description="payments API key")])
def charge(amount: int, ctx: Context) -> str:
    """Charge an amount."""
    key = ctx.credential("PAYMENTS_KEY") or ""
    return "key ok" if hashlib.sha256(key.encode()).hexdigest() == "DIGEST" else "wrong key"

@tool
def refund(amount: int) -> str:
    """Refund an amount."""
    return "refunded"
'''


async def test_serve_injects_stored_secrets_and_they_stay_out_of_every_file(
    tmp_path: Path, running: list[Cli], monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    from typer.testing import CliRunner

    from mcpgen.cli.app import app
    from mcpgen.secrets import SecretStore

    monkeypatch.delenv("PAYMENTS_KEY", raising=False)
    ws = tmp_path / "payments"
    (ws / "tools").mkdir(parents=True)
    digest = hashlib.sha256(SENTINEL.encode()).hexdigest()
    (ws / "tools" / "charge.py").write_text(PAYMENTS_TOOL.replace("DIGEST", digest))
    assert CliRunner().invoke(app, ["generate", str(ws)]).exit_code == 0

    # Without the credential, start-up fails and names it and the module that needs it.
    refused = start_cli_expect_exit(tmp_path, "serve", str(ws))
    assert "PAYMENTS_KEY" in refused
    assert "tools/charge.py" in refused

    SecretStore.open(ws / ".mcpgen", environ={}).set("PAYMENTS_KEY", SENTINEL)
    cli = start_cli(tmp_path, "serve", str(ws), "--set", "tools.refund.enabled=false")
    running.append(cli)
    async with Client(cli.mcp_url) as client:
        assert [t.name for t in (await client.list_tools()).tools] == ["charge"]  # refund disabled by config
        result = await client.call_tool("charge", {"amount": 3})
        assert result.content[0].text == "key ok"  # type: ignore[union-attr]
    assert cli.stop() == 0
    assert SENTINEL not in cli.log()
    for path in ws.rglob("*"):
        if path.is_file():
            assert SENTINEL.encode() not in path.read_bytes(), f"secret found in {path}"
