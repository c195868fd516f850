"""examples/polyglot: a TypeScript, a JavaScript (with an npm package) and a Python tool in one server."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client

from server_support import free_port, stop_process, wait_ready

pytestmark = [pytest.mark.anyio, pytest.mark.integration]
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "polyglot"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    target = tmp_path / "polyglot"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("node_modules", ".mcpgen"))
    return target


@pytest.fixture
def served(workspace: Path, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """`mcpgen serve` on the example (which installs its npm package first); stopped gracefully."""
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mcpgen", "serve", str(workspace), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_ready(proc, port, log_path.read_text, timeout=180), log_path.read_text()
        yield port, log_path
    finally:
        assert stop_process(proc) == 0


async def test_serves_typescript_javascript_and_python_tools(
    served: tuple[int, Path], workspace: Path
) -> None:
    port, log_path = served
    assert (workspace / "tools" / "node_modules" / "ms" / "package.json").is_file()
    async with Client(f"http://127.0.0.1:{port}/mcp") as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert sorted(tools) == ["humanize_duration", "slugify", "word_stats"]
        stats = await client.call_tool("word_stats", {"text": "one three fifteen"})
        assert stats.structured_content == {"words": 3, "characters": 17, "longest": "fifteen"}
        duration = await client.call_tool("humanize_duration", {"milliseconds": 120000})
        assert duration.content[0].text == "2 minutes"  # type: ignore[union-attr]
        back = await client.call_tool("humanize_duration", {"text": "2h"})
        assert back.content[0].text == "7200000"  # type: ignore[union-attr]
        slug = await client.call_tool("slugify", {"text": "Hello, Wörld!"})
        assert slug.content[0].text == "hello-world"  # type: ignore[union-attr]
    manifest = json.loads((workspace / ".mcpgen" / "manifest.json").read_text())
    assert manifest["dependencies"]["npm"] == {"ms": "2.1.3"}
    languages = {t["name"]: t["entrypoint"]["language"] for t in manifest["tools"]}
    assert languages == {"humanize_duration": "javascript", "slugify": "python", "word_stats": "typescript"}
    assert "mcpgen: installing 1 npm package(s)" in log_path.read_text()
