"""One place maps failures to messages and exit codes (mcpgen.cli.errors), for every command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from fake_engine import FakeEngine
from mcpgen.cli.app import app
from mcpgen.cli.errors import INTERRUPTED, Group
from mcpgen.errors import ImageBuildError

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
runner = CliRunner()


def invoke(*args: str) -> Result:
    return runner.invoke(app, list(args))


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns(".mcpgen", "__pycache__"))
    return target


def groups(command: object) -> list[object]:
    found = [command]
    for sub in getattr(command, "commands", {}).values():
        found += groups(sub) if hasattr(sub, "commands") else []
    return found


def test_every_group_runs_its_commands_through_the_handler() -> None:
    found = groups(typer.main.get_command(app))
    assert len(found) == 6  # mcpgen, mcpgen config, secrets, keys, deploy, plugins
    assert all(isinstance(group, Group) for group in found)


def test_an_error_is_one_line_on_stderr_and_its_exit_code(tmp_path: Path) -> None:
    result = invoke("validate", str(tmp_path / "nope"))
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        == f"error: workspace {tmp_path / 'nope'} does not exist (create one with `mcpgen init {tmp_path / 'nope'}`)"
    )
    assert result.stdout == ""


def test_json_renders_the_same_error_as_json(tmp_path: Path) -> None:
    (tmp_path / "mcpgen.yaml").write_text("name: ok\nverison: 1\n")
    result = invoke("validate", str(tmp_path), "--json")
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "WorkspaceError"
    assert error["exitCode"] == 1
    assert error["message"].startswith(f"{tmp_path / 'mcpgen.yaml'}:2: verison: unknown key")
    assert error["path"] == str(tmp_path / "mcpgen.yaml")
    assert f"error: {error['message']}" in result.stderr  # people still read stderr


def test_usage_errors_exit_2_with_their_hint(tmp_path: Path) -> None:
    result = invoke("init", str(tmp_path), "--lang", "cobol")
    assert result.exit_code == 2
    assert "error: --lang must be python or typescript, not 'cobol'" in result.stderr
    result = invoke("credentials", str(tmp_path), "--json")  # stdin is not a terminal under the runner
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: stdin is not a terminal, so credentials cannot be prompted for",
        "hint: pass --no-input to take them from the environment or --env-file FILE",
    ]
    error = json.loads(result.stdout)["error"]
    assert (error["type"], error["exitCode"]) == ("UsageError", 2)
    assert error["hint"].startswith("pass --no-input")


def test_a_bad_flag_is_typers_usage_error() -> None:
    result = invoke("validate", "--no-such-flag")
    assert result.exit_code == 2
    assert "No such option" in result.stderr


def test_a_validation_failure_shows_every_diagnostic_and_json_carries_them(demo: Path) -> None:
    (demo / "tools" / "broken.py").write_text("def oops(:\n")
    result = invoke("build", str(demo), "--dry-run", "--json")
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "ValidationFailed"
    assert [d["code"] for d in error["diagnostics"]] == ["syntax-error"]
    assert "tools/broken.py:1" in result.stderr
    assert "error: 1 error(s) in" in result.stderr


def test_a_failed_build_names_its_step_and_shows_the_output(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Failing(FakeEngine):
        def __init__(self) -> None:
            super().__init__(fail_with="E: python3: not found")

    monkeypatch.setattr("mcpgen.workflows.build.DockerEngine", Failing)
    result = invoke("build", str(demo), "--base-image", "base:1")
    assert result.exit_code == 1
    tail = result.stderr.splitlines()[-3:]
    assert tail == [
        "✗ build failed at step: Building image",
        "E: python3: not found",
        "error: the Docker build failed: E: python3: not found",
    ]


def test_an_interrupted_build_says_nothing_was_tagged_and_exits_130(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Interrupted(FakeEngine):
        def build(self, *args: object, **kwargs: object) -> str:
            raise KeyboardInterrupt

    monkeypatch.setattr("mcpgen.workflows.build.DockerEngine", Interrupted)
    result = invoke("build", str(demo), "--base-image", "base:1")
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == "interrupted: nothing was tagged"
    assert INTERRUPTED["build"].endswith("interrupted: nothing was tagged[/yellow]")


def test_an_interrupt_in_a_subcommand_gets_that_subcommands_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("mcpgen.cli.secrets_cmds._store", interrupted)
    result = invoke("secrets", "rotate", "-w", str(tmp_path))
    assert result.exit_code == 130
    assert result.stderr.strip() == "Cancelled; nothing was changed."
    result = invoke("secrets", "set", "API_KEY", "v", "-w", str(tmp_path))
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == "Cancelled; nothing was saved."


def test_an_interrupt_elsewhere_exits_130_quietly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("mcpgen.cli.workspace_cmds.generate", interrupted)
    result = invoke("validate", str(tmp_path))
    assert result.exit_code == 130
    assert result.stderr == ""


def test_image_build_error_as_json_keeps_step_and_output() -> None:
    from mcpgen.cli.errors import error_data

    data = error_data(ImageBuildError("boom", step="Tagging", output="line", hint="retry"))
    assert data == {
        "type": "ImageBuildError",
        "message": "boom",
        "exitCode": 1,
        "step": "Tagging",
        "output": "line",
        "hint": "retry",
    }
