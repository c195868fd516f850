"""``mcpgen secrets`` end to end through Typer's runner; a sentinel value must never leak."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from typer.testing import CliRunner, Result

from mcpgen.cli import secrets_cmds
from mcpgen.cli.app import app
from mcpgen.secrets import SecretStore
from mcpgen.workflows.credentials import parse_dotenv

KEY = base64.b64encode(bytes(range(32))).decode()
SENTINEL = "SENTINEL-value-8c1f-do-not-print"
MASKED = "SE…nt"

runner = CliRunner()


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MCPGEN_SECRET_KEY", KEY)
    monkeypatch.delenv("MCPGEN_SECRET_KEY_FILE", raising=False)
    monkeypatch.delenv("MCPGEN_SECRET_PASSPHRASE", raising=False)
    return tmp_path


def run(ws: Path, *args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, ["secrets", *args, "-w", str(ws)], input=stdin)


def output(result: Result) -> str:
    return result.stdout + result.stderr


def test_set_get_list_rm_roundtrip_never_prints_the_value(ws: Path) -> None:
    seen: list[str] = []

    result = run(ws, "set", "API_KEY", stdin=SENTINEL + "\n")  # piped: the trailing newline is dropped
    assert result.exit_code == 0, output(result)
    seen.append(output(result))
    result = run(ws, "set", "OTHER", "short")
    assert result.exit_code == 0
    assert "shell history" in result.stderr
    seen.append(output(result))

    result = run(ws, "get", "API_KEY")
    assert result.exit_code == 0
    assert result.stdout.strip() == MASKED
    seen.append(output(result))

    result = run(ws, "get", "API_KEY", "--json")
    assert json.loads(result.stdout) == {"name": "API_KEY", "value": MASKED, "revealed": False}
    seen.append(output(result))

    result = run(ws, "list")
    assert result.exit_code == 0
    assert "API_KEY" in result.stdout
    assert MASKED in result.stdout
    assert "********" in result.stdout
    seen.append(output(result))

    result = run(ws, "list", "--json")
    assert json.loads(result.stdout)["secrets"] == [
        {"name": "API_KEY", "value": MASKED},
        {"name": "OTHER", "value": "********"},
    ]
    seen.append(output(result))

    result = run(ws, "get", "API_KEY", "--reveal")
    assert result.stdout == SENTINEL + "\n"

    result = run(ws, "rm", "API_KEY")
    assert result.exit_code == 0
    seen.append(output(result))
    result = run(ws, "rm", "API_KEY")
    assert result.exit_code == 1
    assert "no secret named API_KEY" in result.stderr
    result = run(ws, "get", "API_KEY")
    assert result.exit_code == 1
    seen.append(output(result))

    for text in seen:
        assert SENTINEL not in text


def test_set_prompts_masked_when_interactive(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets_cmds, "stdin_is_tty", lambda: True)
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text(SENTINEL + "\r")
        result = run(ws, "set", "API_KEY")
    assert result.exit_code == 0, output(result)
    assert SENTINEL not in output(result)
    assert SecretStore.open(ws / ".mcpgen", environ={"MCPGEN_SECRET_KEY": KEY}).get("API_KEY") == SENTINEL


def test_set_prompt_ctrl_c_saves_nothing(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets_cmds, "stdin_is_tty", lambda: True)
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text("half-typed\x03")
        result = run(ws, "set", "API_KEY")
    assert result.exit_code == 130
    assert "nothing was saved" in result.stderr
    assert (
        not (ws / ".mcpgen").exists()
        or SecretStore.open(ws / ".mcpgen", environ={"MCPGEN_SECRET_KEY": KEY}).names() == []
    )


@pytest.mark.parametrize(
    ("args", "stdin", "code"),
    [
        (("set", "1BAD", "x"), None, 2),
        (("set", "EMPTY"), "", 2),
        (("get", "bad-name"), None, 2),
        (("export-env", "--format", "yaml"), None, 2),
    ],
)
def test_usage_errors(ws: Path, args: tuple[str, ...], stdin: str | None, code: int) -> None:
    result = run(ws, *args, stdin=stdin)
    assert result.exit_code == code, output(result)
    assert "error" in result.stderr


def test_export_env_roundtrips_and_refuses_a_terminal(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tricky = 'it\'s a \\ "quoted" $HOME\nvalue'
    SecretStore.open(ws / ".mcpgen", environ={"MCPGEN_SECRET_KEY": KEY}).set_many(
        {"API_KEY": SENTINEL, "TRICKY": tricky}
    )
    result = run(ws, "export-env")
    assert result.exit_code == 0, output(result)
    assert parse_dotenv(result.stdout) == {"API_KEY": SENTINEL, "TRICKY": tricky}

    result = run(ws, "export-env", "--format", "shell")
    assert result.stdout.startswith("export API_KEY=")

    monkeypatch.setattr(secrets_cmds, "stdout_is_tty", lambda: True)
    result = run(ws, "export-env")
    assert result.exit_code == 2
    assert SENTINEL not in output(result)
    assert "--force" in result.stderr
    result = run(ws, "export-env", "--force")
    assert result.exit_code == 0
    assert SENTINEL in result.stdout


def test_wrong_key_is_a_clear_error(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(ws, "set", "API_KEY", stdin=SENTINEL).exit_code == 0
    monkeypatch.setenv("MCPGEN_SECRET_KEY", base64.b64encode(b"\x01" * 32).decode())
    for args in (("get", "API_KEY"), ("list",), ("export-env",), ("rm", "API_KEY")):
        result = run(ws, *args)
        assert result.exit_code == 1, args
        assert "error:" in result.stderr
        assert "wrong key" in result.stderr
        assert SENTINEL not in output(result)
        assert "Traceback" not in output(result)


def test_rotate_env_key_shows_the_new_key_once_and_it_opens_the_store(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(ws, "set", "API_KEY", stdin=SENTINEL).exit_code == 0
    result = run(ws, "rotate", "--json")
    assert result.exit_code == 0, output(result)
    data = json.loads(result.stdout)
    assert data["count"] == 1
    assert data["oldKeyId"] != data["newKeyId"]
    new_key = data["newKey"]
    assert new_key
    assert new_key != KEY
    assert Path(data["pendingKeyFile"]).is_file()
    assert SENTINEL not in output(result)

    assert run(ws, "get", "API_KEY").exit_code == 1  # the old key no longer opens it
    monkeypatch.setenv("MCPGEN_SECRET_KEY", new_key)
    result = run(ws, "rotate")  # human output: the key is printed once, with what to do
    assert result.exit_code == 0, output(result)
    assert "shown only this once" in result.stdout
    assert "MCPGEN_SECRET_KEY" in result.stdout
    assert SENTINEL not in output(result)


def test_new_store_with_generated_key_file_and_rotation_without_key_output(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MCPGEN_SECRET_KEY")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    result = run(ws, "set", "API_KEY", stdin=SENTINEL)
    assert result.exit_code == 0, output(result)
    assert "secret.key" in result.stderr
    assert "back it up" in result.stderr
    before = (ws / ".mcpgen" / "secret.key").read_text()

    result = run(ws, "rotate", "--json")
    assert result.exit_code == 0, output(result)
    data = json.loads(result.stdout)
    assert data["newKey"] is None
    assert data["key"]["kind"] == "key_file"
    assert (ws / ".mcpgen" / "secret.key").read_text() != before
    assert run(ws, "get", "API_KEY", "--reveal").stdout == SENTINEL + "\n"
    result = run(ws, "rotate")
    assert "rotated 1 secret(s)" in result.stdout
    assert "shown only this once" not in result.stdout


def test_list_without_a_store_is_empty_and_creates_nothing(ws: Path) -> None:
    result = run(ws, "list", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["secrets"] == []
    assert not (ws / ".mcpgen").exists()
    result = run(ws, "get", "API_KEY")
    assert result.exit_code == 1
    assert "no secret store" in result.stderr
