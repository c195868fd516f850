"""``mcpgen credentials``: real questionary prompts fed keystrokes through a prompt_toolkit pipe input."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.output.vt100 import Vt100_Output
from typer.testing import CliRunner

from mcpgen.cli import credentials_cmds
from mcpgen.cli.app import app
from mcpgen.secrets import SecretStore

KEY = base64.b64encode(bytes(range(32))).decode()
SENTINEL = "sk_SENTINELsecret123"
DOWN, ENTER, CTRL_C, KILL_LINE = "\x1b[B", "\r", "\x03", "\x15"

TOOL = (
    Path(__file__).resolve().parents[1] / "fixtures" / "workspaces" / "credentials" / "tools" / "ping.py"
).read_text()

runner = CliRunner()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    (root / "tools").mkdir(parents=True)
    (root / "tools" / "ping.py").write_text(TOOL)
    monkeypatch.setenv("MCPGEN_SECRET_KEY", KEY)
    for name in (
        "AUTH_METHOD",
        "SERVICE_API_KEY",
        "OAUTH_CLIENT_ID",
        "OAUTH_CLIENT_SECRET",
        "SERVICE_URL",
        "ALERT_EMAIL",
    ):
        monkeypatch.delenv(name, raising=False)
    return root


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend stdin is a terminal so the command prompts."""
    monkeypatch.setattr(credentials_cmds, "stdin_is_tty", lambda: True)


def stored(root: Path) -> dict[str, str]:
    return SecretStore.open(root / ".mcpgen", environ={"MCPGEN_SECRET_KEY": KEY}).items()


def run_with_keys(keys: str, *args: str, screen: io.StringIO | None = None) -> tuple[int, str, str]:
    """Run the CLI with ``keys`` typed in; with ``screen``, what the prompts draw is recorded there."""
    output = (
        Vt100_Output(screen, lambda: Size(rows=40, columns=200), enable_cpr=False)
        if screen is not None
        else DummyOutput()
    )
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=output):
        pipe.send_text(keys)
        result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.usefixtures("terminal")
def test_oauth_choice_masked_secret_validation_retry_skip_and_proceed(workspace: Path) -> None:
    keys = (
        DOWN
        + ENTER  # AUTH_METHOD: oauth2 (enables the OAuth fields)
        + "cid-123"
        + ENTER  # OAUTH_CLIENT_ID (plain)
        + SENTINEL
        + ENTER  # OAUTH_CLIENT_SECRET (masked)
        + ENTER  # ALERT_EMAIL: optional, skipped
        + "ftp://nope"
        + ENTER  # SERVICE_URL: rejected by the validator ...
        + KILL_LINE
        + "https://api.example.com"
        + ENTER  # ... then a correct one
        + "y"  # Proceed?
    )
    screen = io.StringIO()
    code, out, err = run_with_keys(keys, "credentials", str(workspace), screen=screen)
    assert code == 0, out + err
    drawn = screen.getvalue()
    assert "cid-123" in drawn  # plain input is echoed ...
    assert SENTINEL not in drawn  # ... the secret is not
    # the first SERVICE_URL was rejected by the validator: only the second one was stored
    assert stored(workspace) == {
        "AUTH_METHOD": "oauth2",
        "OAUTH_CLIENT_ID": "cid-123",
        "OAUTH_CLIENT_SECRET": SENTINEL,
        "SERVICE_URL": "https://api.example.com",
    }
    assert SENTINEL not in out + err
    assert "sk…23" in err  # the summary table shows it masked
    assert "4 stored" in out
    assert "skipped optional: ALERT_EMAIL" in out


@pytest.mark.usefixtures("terminal")
def test_api_key_path_asks_no_oauth_fields_and_answering_no_saves_nothing(workspace: Path) -> None:
    keys = ENTER + SENTINEL + ENTER + "ops@example.com" + ENTER + "https://api.example.com" + ENTER + "n"
    code, out, err = run_with_keys(keys, "credentials", str(workspace))
    assert code == 1, out + err
    assert "OAUTH_CLIENT_ID" in err  # listed in the summary as not needed ...
    assert "inactive" in err
    assert "Not saved" in out
    assert stored(workspace) == {}


@pytest.mark.usefixtures("terminal")
def test_pattern_failure_then_fix(workspace: Path) -> None:
    keys = (
        ENTER + "nope" + ENTER + KILL_LINE + SENTINEL + ENTER + ENTER + "https://a.example.com" + ENTER + "y"
    )
    code, out, err = run_with_keys(keys, "credentials", str(workspace), "--json")
    assert code == 0, out + err
    data = json.loads(out)
    assert data["stored"] == ["AUTH_METHOD", "SERVICE_API_KEY", "SERVICE_URL"]
    assert SENTINEL not in out + err
    assert stored(workspace)["SERVICE_API_KEY"] == SENTINEL


@pytest.mark.usefixtures("terminal")
def test_ctrl_c_cancels_cleanly_with_nothing_written(workspace: Path) -> None:
    SecretStore.open(workspace / ".mcpgen", environ={"MCPGEN_SECRET_KEY": KEY}).set(
        "SERVICE_URL", "https://old.example.com"
    )
    keys = DOWN + ENTER + "cid" + ENTER + SENTINEL[:5] + CTRL_C
    code, out, err = run_with_keys(keys, "credentials", str(workspace))
    assert code == 130, out + err
    assert "Cancelled; nothing was saved." in err
    assert stored(workspace) == {"SERVICE_URL": "https://old.example.com"}


@pytest.mark.usefixtures("terminal")
def test_enter_keeps_stored_value(workspace: Path) -> None:
    SecretStore.open(workspace / ".mcpgen", environ={"MCPGEN_SECRET_KEY": KEY}).set_many(
        {"AUTH_METHOD": "api_key", "SERVICE_API_KEY": SENTINEL, "SERVICE_URL": "https://old.example.com"}
    )
    code, out, err = run_with_keys(ENTER * 4 + "y", "credentials", str(workspace), "--json")
    assert code == 0, out + err
    data = json.loads(out)
    assert data["stored"] == []
    assert data["kept"] == ["AUTH_METHOD", "SERVICE_API_KEY", "SERVICE_URL"]
    assert SENTINEL not in out + err


def test_not_a_terminal_without_no_input_is_a_usage_error(workspace: Path) -> None:
    result = runner.invoke(app, ["credentials", str(workspace)])
    assert result.exit_code == 2
    assert "--no-input" in result.stderr
    assert stored(workspace) == {}


def test_no_input_lists_every_missing_required_credential(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTH_METHOD", "oauth2")
    result = runner.invoke(app, ["credentials", str(workspace), "--no-input"])
    assert result.exit_code == 1
    for name in ("OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET", "SERVICE_URL"):
        assert name in result.stderr
    assert "tools/ping.py" in result.stderr
    assert "SERVICE_API_KEY" not in result.stderr
    assert stored(workspace) == {}


def test_no_input_with_env_file_and_environment(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / "ci.env"
    env_file.write_text(
        f"# CI values\nexport AUTH_METHOD=api_key\nSERVICE_API_KEY='{SENTINEL}'\nSERVICE_URL=https://file.example.com\n"
    )
    monkeypatch.setenv("SERVICE_URL", "https://env.example.com")
    result = runner.invoke(
        app, ["credentials", str(workspace), "--no-input", "--env-file", str(env_file), "--json"]
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["stored"] == ["AUTH_METHOD", "SERVICE_API_KEY", "SERVICE_URL"]
    assert data["inactive"] == ["OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET"]
    assert SENTINEL not in result.stdout + result.stderr
    assert stored(workspace)["SERVICE_URL"] == "https://env.example.com"  # the environment wins


def test_bad_env_file_names_file_and_line(workspace: Path, tmp_path: Path) -> None:
    env_file = tmp_path / "bad.env"
    env_file.write_text("AUTH_METHOD=api_key\nnot a line\n")
    result = runner.invoke(app, ["credentials", str(workspace), "--no-input", "--env-file", str(env_file)])
    assert result.exit_code == 1
    assert f"{env_file}:2:" in result.stderr
