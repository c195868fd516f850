"""``python -m mcpgen.runtime --transport stdio`` driven by the SDK's stdio client."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from .conftest import fixture_files, make_manifest, runtime_env

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


def stdio_server(root: Path, *settings: str) -> StdioServerParameters:
    """``python -m mcpgen.runtime --transport stdio`` for the manifest in ``root``, with ``--set`` overrides."""
    manifest = str(root / ".mcpgen" / "manifest.json")
    overrides = [arg for setting in settings for arg in ("--set", setting)]
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcpgen.runtime", "--manifest", manifest, "--transport", "stdio", *overrides],
        env=runtime_env(),
    )


async def test_stdio_lists_calls_and_survives_printing_tools(tmp_path: Path) -> None:
    make_manifest(tmp_path, fixture_files())
    params = stdio_server(tmp_path)
    with anyio.fail_after(30):
        async with Client(params) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert {"add", "noisy"} <= names
            noisy = await client.call_tool("noisy", {"text": "boo"})
            assert noisy.content[0].text == "said boo"
            result = await client.call_tool("add", {"a": 2, "b": 3})
            assert result.content[0].text == "5"


async def test_stdio_is_not_authenticated_or_restricted_but_is_audited(tmp_path: Path) -> None:
    """A local pipe to the parent process: auth settings do not apply, the audit log still records calls."""
    make_manifest(tmp_path, fixture_files())
    audit = tmp_path / "audit.jsonl"
    settings = [
        "server.auth.api_keys=true",
        "server.auth.roles.nobody.allow=tool:none",
        "server.audit.enabled=true",
        f"server.audit.file={audit}",
    ]
    params = stdio_server(tmp_path, *settings)
    with anyio.fail_after(30):
        async with Client(params) as client:
            assert "add" in {t.name for t in (await client.list_tools()).tools}
            result = await client.call_tool("add", {"a": 2, "b": 3})
            assert result.content[0].text == "5"
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(r["method"], r["via"], r["client"], r["decision"]) for r in records] == [
        ("tools/list", "stdio", None, "allow"),
        ("tools/call", "stdio", None, "allow"),
    ]
