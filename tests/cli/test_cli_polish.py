"""Shell completion, global flags after the command, start-up lines at info, output printed as written."""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path

import pytest
from cli_support import start_cli
from typer.testing import CliRunner

from mcpgen.cli.app import app

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), prog_name="mcpgen")
    return result.exit_code, result.stdout, result.stderr


def test_show_completion_prints_a_bash_script() -> None:
    code, out, err = invoke("--show-completion", "bash")
    assert code == 0, err
    assert "complete -o default -F _mcpgen_completion mcpgen" in out
    assert "_MCPGEN_COMPLETE=complete_bash" in out


def test_install_completion_is_offered() -> None:
    code, out, _ = invoke("--help")
    assert code == 0
    assert "--install-completion" in out
    assert "--show-completion" in out


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_works_before_and_after_the_command(ping_workspace: Path, where: str) -> None:
    args = (
        ["-q", "validate", str(ping_workspace)]
        if where == "before"
        else ["validate", str(ping_workspace), "-q"]
    )
    code, out, err = invoke(*args)
    assert code == 0, err
    assert out == ""
    assert invoke("validate", str(ping_workspace))[1].startswith("✓ 1 tool")


def test_verbose_after_the_command_turns_on_debug(ping_workspace: Path) -> None:
    code, _, err = invoke("list-tools", str(ping_workspace), "--json", "-vv")
    assert code == 0, err
    assert logging.getLogger().level == logging.DEBUG


def test_a_flag_that_is_an_options_value_stays_the_value(
    ping_workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = invoke("manifest", str(ping_workspace), "-o", "-v")
    assert code == 0, err
    assert json.loads((tmp_path / "-v").read_text())["tools"][0]["name"] == "ping"


def test_dockerfiles_print_as_written(ping_workspace: Path) -> None:
    """`mcpgen:x:10001` in a Dockerfile is not the emoji :x: and `[bold]` is not markup."""
    code, out, err = invoke("build", str(ping_workspace), "--dry-run")
    assert code == 0, err
    assert 'echo "mcpgen:x:10001:10001:mcpgen:/home/mcpgen:/usr/sbin/nologin" >> /etc/passwd' in out
    assert "❌" not in out
    dockerfile = json.loads(invoke("build", str(ping_workspace), "--dry-run", "--json")[1])["dockerfile"]
    stamp = re.compile(r'created="[^"]*"')  # the build time differs between the two runs
    assert stamp.sub("", dockerfile.strip()) in stamp.sub("", out)


def test_paths_and_diagnostics_print_as_written(tmp_path: Path) -> None:
    odd = tmp_path / "ws [red]x[/red] :x: :smile:"
    code, out, err = invoke("init", str(odd))
    assert code == 0, err
    assert f"created {odd / 'mcpgen.yaml'}" in out
    (odd / "tools" / "bare.py").write_text(
        "from mcpgen import tool\n\n@tool\ndef bare() -> str:\n    return ''\n"
    )
    code, _, err = invoke("validate", str(odd))
    assert "tools/bare.py:3: warning: tool 'bare' has no description" in err
    assert "[missing-description]" in err  # the code in brackets is text, not a style


def test_start_up_lines_are_info_and_shown_by_default(tmp_path: Path, ping_workspace: Path) -> None:
    cli = start_cli(tmp_path, "dev", str(ping_workspace))
    try:
        log = cli.log()
    finally:
        cli.stop()
    lines = [line for line in log.splitlines() if "msg=" in line]
    dev = next(line for line in lines if "dev: 1 tool(s), watching" in line)
    assert "level=info" in dev
    assert any("level=info" in line and "serving ws on http://127.0.0.1" in line for line in lines)
    assert not [line for line in lines if "level=warning" in line], log
    assert sys.executable  # started with this interpreter (start_cli)
