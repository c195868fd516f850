"""`mcpgen init --template ...`: every template validates and answers a real tool call as created."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import Cli, start_cli
from mcp import Client
from typer.testing import CliRunner

from mcpgen.cli.app import app
from mcpgen.workflows.init import plan_init, template_names

pytestmark = [pytest.mark.anyio, pytest.mark.integration]
runner = CliRunner()

CALLS = {
    "python": [("greet", {"name": "Ada", "style": "excited"}, "Hello, Ada!")],
    "typescript": [("greet", {"name": "Ada", "style": "excited"}, "Hello, Ada!")],
    "connector": [
        ("add_note", {"text": "buy milk"}, "saved note 1"),
        ("find_notes", {"words": "milk"}, '[{"id":1,"text":"buy milk"}]'),
    ],
}


def test_every_template_is_tested() -> None:
    assert sorted(CALLS) == sorted(template_names())
    assert template_names()[0] == "python"  # the default comes first in the help


@pytest.mark.parametrize("template", sorted(CALLS))
async def test_a_template_validates_and_serves_as_created(
    template: str, tmp_path: Path, running: list[Cli]
) -> None:
    root = tmp_path / f"{template}-server"
    created = runner.invoke(app, ["init", str(root), "--template", template])
    assert created.exit_code == 0, created.output
    assert f"name: {template}-server" in (root / "mcpgen.yaml").read_text()
    assert (root / ".gitignore").is_file()
    assert not list(root.rglob("*.tmpl"))
    checked = runner.invoke(app, ["validate", str(root)])
    assert checked.exit_code == 0, checked.output
    assert "0 errors, 0 warnings" in checked.stdout
    cli = start_cli(tmp_path, "serve", str(root))
    running.append(cli)
    async with Client(cli.mcp_url) as client:
        for tool, arguments, expected in CALLS[template]:
            result = await client.call_tool(tool, arguments)
            assert result.is_error is False, result
            assert result.content[0].text == expected  # type: ignore[union-attr]


def test_python_is_the_default_and_lang_still_works(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path / "a")]).exit_code == 0
    assert sorted(p.name for p in (tmp_path / "a" / "tools").iterdir()) == ["greet.py"]
    assert runner.invoke(app, ["init", str(tmp_path / "b"), "--lang", "typescript"]).exit_code == 0
    assert (tmp_path / "b" / "tools" / "greet.ts").is_file()
    disagree = runner.invoke(app, ["init", str(tmp_path / "c"), "--lang", "python", "-t", "typescript"])
    assert disagree.exit_code == 2
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "openapi",
            "error: the openapi template (an OpenAPI description turned into tools) is not available yet",
        ),
        ("cobol", "error: unknown template 'cobol'; choose one of: python, connector, typescript"),
    ],
)
def test_unknown_and_later_templates_are_refused_cleanly(tmp_path: Path, template: str, message: str) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "x"), "--template", template])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "x").exists()


def test_plans_are_pure_and_name_the_workspace(tmp_path: Path) -> None:
    planned = plan_init(tmp_path / "my-server", "connector")
    assert not (tmp_path / "my-server").exists()
    assert {Path("connectors/notes.py"), Path("tools/notes.py"), Path(".gitignore")} <= set(planned)
    assert planned[Path("README.md")].startswith("# my-server\n")
