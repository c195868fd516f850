"""`mcpgen init --lang typescript`: scaffold, validate, then call the TypeScript tool."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client
from typer.testing import CliRunner

from mcpgen.cli.app import app
from mcpgen.runtime import Registry, RuntimeState, Settings, build_server
from mcpgen.workflows.generate import generate

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_init_typescript_then_validate(tmp_path: Path) -> None:
    root = tmp_path / "ts-server"
    created = CliRunner().invoke(app, ["init", str(root), "--lang", "typescript"])
    assert created.exit_code == 0, created.output
    assert (root / "tools" / "greet.ts").is_file()
    assert not (root / "tools" / "greet.py").exists()
    assert '"type": "module"' in (root / "tools" / "package.json").read_text()
    checked = CliRunner().invoke(app, ["validate", str(root), "--json"])
    assert checked.exit_code == 0, checked.output
    assert '"greet"' in checked.output


def test_init_rejects_unknown_language(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["init", str(tmp_path / "x"), "--lang", "rust"])
    assert result.exit_code == 2
    assert not (tmp_path / "x").exists()


async def test_scaffolded_typescript_tool_answers(tmp_path: Path) -> None:
    root = tmp_path / "ts-server"
    assert CliRunner().invoke(app, ["init", str(root), "--lang", "typescript"]).exit_code == 0
    gen = generate(root)
    assert gen.manifest is not None, str(gen.report)
    (entry,) = gen.manifest.tools
    assert (entry.name, entry.entrypoint.language) == ("greet", "typescript")
    settings = Settings(root=root)
    registry = Registry.load(gen.manifest, settings)
    try:
        async with Client(build_server(RuntimeState(registry, settings))) as client:
            result = await client.call_tool("greet", {"name": "Ada", "style": "excited"})
            assert result.content[0].text == "Hello, Ada!"  # type: ignore[union-attr]
            empty = await client.call_tool("greet", {"name": " "})
            assert empty.is_error is True
            assert empty.content[0].text == "name must not be empty"  # type: ignore[union-attr]
    finally:
        await registry.aclose()
