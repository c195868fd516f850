"""``mcpgen build`` output: plain step lines when not a TTY, rich live progress on one, nothing with --quiet."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from fake_engine import FakeEngine
from mcpgen.cli.app import app
from mcpgen.cli.build_cmds import ConsoleProgress, LiveProgress, make_progress

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns(".mcpgen", "__pycache__"))
    monkeypatch.setattr("mcpgen.workflows.build.DockerEngine", FakeEngine)
    return target


def test_not_a_tty_prints_plain_step_lines_with_elapsed_times(workspace: Path) -> None:
    result = CliRunner().invoke(app, ["build", str(workspace), "--base-image", "base:1"])
    assert result.exit_code == 0, result.output
    err = result.stderr
    assert "\x1b[" not in err  # no colours, no cursor movement
    lines = err.splitlines()
    assert lines[0] == "Step 1/8: Checking the Docker engine"
    assert lines[1].startswith("  ✓ Checking the Docker engine in ")
    assert lines[1].endswith("s (engine fake)")
    assert "Step 7/8: Building image" in lines
    assert "  Step 1/2 : FROM base" in lines  # the engine's output, streamed under its step
    assert "✓ built" in result.stdout


def test_quiet_prints_nothing_extra(workspace: Path) -> None:
    result = CliRunner().invoke(app, ["--quiet", "build", str(workspace), "--base-image", "base:1"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout == ""


def test_a_terminal_gets_a_spinner_and_a_clock_per_step() -> None:
    buffer = io.StringIO()
    live = LiveProgress(Console(file=buffer, force_terminal=True, width=100))
    live.start(1, 2, "Checking the Docker engine")
    live.line("engine output")
    live.finish("Checking the Docker engine", 0.2, "engine 20.10")
    live.start(2, 2, "Building image")
    live.finish("Building image", 0.1)
    live.close()
    text = buffer.getvalue()
    assert "\x1b[2K" in text  # redrawn in place
    assert any(frame in text for frame in "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")  # the spinner
    assert "✓" in text
    assert "Step 2/2: Building image" in text
    assert "(engine 20.10)" in text
    assert "0.0s" in text
    assert "engine output" in text


def test_progress_kind_follows_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from mcpgen.cli import render

    monkeypatch.setattr(render, "err", Console(file=io.StringIO(), force_terminal=True))
    assert isinstance(make_progress(quiet=False), LiveProgress)
    assert isinstance(make_progress(quiet=True), ConsoleProgress)
    monkeypatch.setattr(render, "err", Console(file=io.StringIO(), force_terminal=False))
    assert isinstance(make_progress(quiet=False), ConsoleProgress)
