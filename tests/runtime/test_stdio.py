"""``python -m mcpgen.runtime --transport stdio`` driven by the SDK's stdio client."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from .conftest import fixture_files, make_manifest, runtime_env

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def test_stdio_lists_calls_and_survives_printing_tools(tmp_path: Path) -> None:
    make_manifest(tmp_path, fixture_files())
    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-m",
            "mcpgen.runtime",
            "--manifest",
            str(tmp_path / ".mcpgen" / "manifest.json"),
            "--transport",
            "stdio",
        ],
        env=runtime_env(),
    )
    with anyio.fail_after(30):
        async with Client(params) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert {"add", "noisy"} <= names
            noisy = await client.call_tool("noisy", {"text": "boo"})
            assert noisy.content[0].text == "said boo"
            result = await client.call_tool("add", {"a": 2, "b": 3})
            assert result.content[0].text == "5"
