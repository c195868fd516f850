"""``mcpgen keys`` through Typer's runner: a key is shown once, stored hashed, listed without it, revoked."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from mcpgen.cli.app import app
from mcpgen.errors import UsageError
from mcpgen.secrets.api_keys import hash_key
from mcpgen.workflows.keys import parse_expiry

runner = CliRunner()


def run(ws: Path, *args: str) -> Result:
    return runner.invoke(app, ["keys", *args, "-w", str(ws)])


def test_create_shows_the_key_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    created = run(tmp_path, "create", "ci-bot", "--role", "reader", "--expires", "30d", "--json")
    assert created.exit_code == 0, created.output
    data = json.loads(created.stdout)
    key = data["key"]
    assert key.startswith("mcpgen_")
    assert (data["name"], data["role"]) == ("ci-bot", "reader")
    stored = (tmp_path / ".mcpgen" / "api_keys.json").read_text()
    assert key not in stored
    assert hash_key(key) in stored
    assert (tmp_path / ".mcpgen" / "api_keys.json").stat().st_mode & 0o077 == 0
    listed = run(tmp_path, "list", "--json")
    assert key not in listed.stdout
    assert hash_key(key) not in listed.stdout
    (row,) = json.loads(listed.stdout)["keys"]
    assert (row["name"], row["role"], row["expired"]) == ("ci-bot", "reader", False)
    assert row["prefix"] == key[:11]
    assert run(tmp_path, "create", "ci-bot", "--role", "x").exit_code != 0  # names are unique
    text = run(tmp_path, "create", "other", "--role", "admin")
    assert text.exit_code == 0
    assert text.stdout.strip().startswith("mcpgen_")  # the key alone on stdout (pipe it)


def test_revoke_removes_the_key_and_fails_for_an_unknown_name(tmp_path: Path) -> None:
    run(tmp_path, "create", "temp", "--role", "reader")
    assert run(tmp_path, "revoke", "temp").exit_code == 0
    assert json.loads(run(tmp_path, "list", "--json").stdout)["keys"] == []
    missing = run(tmp_path, "revoke", "temp")
    assert missing.exit_code == 1
    assert "no API key named 'temp'" in missing.output


def test_bad_names_roles_and_expiry_are_refused(tmp_path: Path) -> None:
    assert "not a valid key name" in run(tmp_path, "create", "bad name", "--role", "r").output
    assert "in the past" in run(tmp_path, "create", "k", "--role", "r", "--expires", "2001-01-01").output
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_expiry("12h", now) == now + timedelta(hours=12)
    assert parse_expiry("2027-01-31", now) == datetime(2027, 1, 31, tzinfo=UTC)
    with pytest.raises(UsageError, match="--expires"):
        parse_expiry("soon", now)
