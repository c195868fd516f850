"""``mcpgen secrets backup|restore`` and ``mcpgen config backup|restore``: every refusal leaves the
current store or config byte-identical."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from mcpgen.cli.app import app

KEY = base64.b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.b64encode(bytes(range(1, 33))).decode()
SENTINEL = "SENTINEL-backup-value-do-not-print"

runner = CliRunner()


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MCPGEN_SECRET_KEY", KEY)
    monkeypatch.delenv("MCPGEN_SECRET_KEY_FILE", raising=False)
    monkeypatch.delenv("MCPGEN_SECRET_PASSPHRASE", raising=False)
    root = tmp_path / "ws"
    root.mkdir()
    return root


def cli(*args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, list(args), input=stdin)


def secrets(ws: Path, *args: str, stdin: str | None = None) -> Result:
    return cli("secrets", *args, "-w", str(ws), stdin=stdin)


def store_bytes(ws: Path) -> bytes:
    return (ws / ".mcpgen" / "secrets.enc").read_bytes()


def make_backup(ws: Path, tmp_path: Path) -> Path:
    assert secrets(ws, "set", "API_KEY", stdin=SENTINEL).exit_code == 0
    target = tmp_path / "secrets.bak"
    result = secrets(ws, "backup", str(target))
    assert result.exit_code == 0, result.output
    assert SENTINEL not in result.output
    return target


# -- secrets ---------------------------------------------------------------------------------------


def test_secrets_backup_and_restore_roundtrip(ws: Path, tmp_path: Path) -> None:
    backup = make_backup(ws, tmp_path)
    assert backup.stat().st_mode & 0o777 == 0o600
    assert SENTINEL.encode() not in backup.read_bytes()  # still sealed
    assert secrets(ws, "set", "API_KEY", stdin="changed-later").exit_code == 0
    assert secrets(ws, "set", "NEW_ONE", stdin="added-later").exit_code == 0

    result = secrets(ws, "restore", str(backup), "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["count"] == 1
    assert data["replaced"] is True
    assert data["key"]["source"] == "MCPGEN_SECRET_KEY"
    assert secrets(ws, "get", "API_KEY", "--reveal").stdout.strip() == SENTINEL
    assert secrets(ws, "get", "NEW_ONE").exit_code == 1


def test_secrets_restore_into_a_workspace_without_a_store(ws: Path, tmp_path: Path) -> None:
    backup = make_backup(ws, tmp_path)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert secrets(fresh, "restore", str(backup)).exit_code == 0
    assert secrets(fresh, "get", "API_KEY", "--reveal").stdout.strip() == SENTINEL


def test_secrets_backup_refuses_to_replace_a_file_without_force(ws: Path, tmp_path: Path) -> None:
    backup = make_backup(ws, tmp_path)
    before = backup.read_bytes()
    result = secrets(ws, "backup", str(backup))
    assert result.exit_code == 2
    assert "--force" in result.output
    assert backup.read_bytes() == before
    assert secrets(ws, "backup", str(backup), "--force").exit_code == 0


def _refused(ws: Path, backup: Path, *expected: str) -> None:
    before = store_bytes(ws)
    result = secrets(ws, "restore", str(backup))
    assert result.exit_code == 1, result.output
    for text in expected:
        assert text in result.output
    assert store_bytes(ws) == before
    assert not [p.name for p in (ws / ".mcpgen").iterdir() if p.name.endswith(".tmp")]


def test_secrets_restore_refuses_a_wrong_key(
    ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = make_backup(ws, tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("MCPGEN_SECRET_KEY", OTHER_KEY)
    assert secrets(other, "set", "MINE", stdin="kept").exit_code == 0
    _refused(other, backup, "is not available", "not changed")
    assert secrets(other, "get", "MINE", "--reveal").stdout.strip() == "kept"


def test_secrets_restore_refuses_a_truncated_file(ws: Path, tmp_path: Path) -> None:
    backup = make_backup(ws, tmp_path)
    backup.write_bytes(backup.read_bytes()[: len(backup.read_bytes()) // 2])
    _refused(ws, backup, "truncated")


def test_secrets_restore_refuses_a_file_that_fails_its_checksum(ws: Path, tmp_path: Path) -> None:
    backup = make_backup(ws, tmp_path)
    body = json.loads(backup.read_text())
    inner = bytearray(base64.b64decode(body["store"]))
    inner[len(inner) // 2] ^= 1
    body["store"] = base64.b64encode(bytes(inner)).decode()
    backup.write_text(json.dumps(body))
    _refused(ws, backup, "checksum")


def test_secrets_restore_refuses_tampered_ciphertext_even_with_a_fixed_checksum(
    ws: Path, tmp_path: Path
) -> None:
    backup = make_backup(ws, tmp_path)
    body = json.loads(backup.read_text())
    store = json.loads(base64.b64decode(body["store"]))
    sealed = bytearray(base64.b64decode(store["entries"]["API_KEY"]["ciphertext"]))
    sealed[0] ^= 1
    store["entries"]["API_KEY"]["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    inner = json.dumps(store).encode()
    body["store"], body["sha256"] = base64.b64encode(inner).decode(), hashlib.sha256(inner).hexdigest()
    backup.write_text(json.dumps(body))
    _refused(ws, backup, "API_KEY failed authentication")


def test_secrets_restore_refuses_a_file_that_is_not_a_backup(ws: Path, tmp_path: Path) -> None:
    make_backup(ws, tmp_path)
    other = tmp_path / "config.json"
    other.write_text('{"format": "something-else"}')
    _refused(ws, other, "not an mcpgen secrets backup")


# -- config ----------------------------------------------------------------------------------------


@pytest.fixture
def configured(ws: Path) -> Path:
    folder = ws / "config"
    folder.mkdir()
    (folder / "config.yaml").write_text("server:\n  port: 9000\n")
    (folder / "config.prod.yaml").write_text("logging:\n  level: warning\n")
    (folder / ".config.yaml.swp").write_text("editor junk")
    return ws


def snapshot(ws: Path) -> dict[str, bytes]:
    return {
        p.relative_to(ws).as_posix(): p.read_bytes()
        for p in sorted((ws / "config").rglob("*"))
        if p.is_file()
    }


def config_backup(ws: Path, tmp_path: Path) -> Path:
    target = tmp_path / "config.bak"
    result = cli("config", "backup", str(target), "-w", str(ws), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["count"] == 2  # the hidden file is skipped
    return target


def test_config_restore_recreates_missing_files_and_keeps_extra_ones(
    configured: Path, tmp_path: Path
) -> None:
    backup = config_backup(configured, tmp_path)
    (configured / "config" / "config.prod.yaml").unlink()
    (configured / "config" / "config.dev.yaml").write_text("server:\n  port: 1\n")

    result = cli("config", "restore", str(backup), "-w", str(configured), "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["written"] == ["config.prod.yaml"]
    assert data["unchanged"] == ["config.yaml"]
    assert data["kept"] == ["config.dev.yaml"]
    assert (configured / "config" / "config.prod.yaml").read_text() == "logging:\n  level: warning\n"


def test_config_restore_refuses_local_changes_without_force(configured: Path, tmp_path: Path) -> None:
    backup = config_backup(configured, tmp_path)
    (configured / "config" / "config.yaml").write_text("server:\n  port: 7000\n")
    (configured / "config" / "config.prod.yaml").unlink()
    before = snapshot(configured)

    result = cli("config", "restore", str(backup), "-w", str(configured))

    assert result.exit_code == 1
    assert "config.yaml" in result.output
    assert "--force" in result.output
    assert snapshot(configured) == before  # not even the missing file was written

    result = cli("config", "restore", str(backup), "-w", str(configured), "--force", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["overwritten"] == ["config.yaml"]
    assert (configured / "config" / "config.yaml").read_text() == "server:\n  port: 9000\n"


def _config_refused(ws: Path, backup: Path, text: str) -> None:
    (ws / "config" / "config.yaml").write_text("server:\n  port: 7000\n")
    before = snapshot(ws)
    result = cli("config", "restore", str(backup), "-w", str(ws), "--force")
    assert result.exit_code == 1, result.output
    assert text in result.output
    assert snapshot(ws) == before


def test_config_restore_refuses_a_truncated_file(configured: Path, tmp_path: Path) -> None:
    backup = config_backup(configured, tmp_path)
    backup.write_bytes(backup.read_bytes()[:-40])
    _config_refused(configured, backup, "truncated")


def test_config_restore_refuses_a_tampered_file(configured: Path, tmp_path: Path) -> None:
    backup = config_backup(configured, tmp_path)
    body = json.loads(backup.read_text())
    body["files"][0]["content"] = base64.b64encode(b"server:\n  port: 6666\n").decode()
    backup.write_text(json.dumps(body))
    _config_refused(configured, backup, "does not match its hash")


def test_config_restore_refuses_a_removed_file_entry(configured: Path, tmp_path: Path) -> None:
    backup = config_backup(configured, tmp_path)
    body = json.loads(backup.read_text())
    body["files"] = body["files"][1:]
    backup.write_text(json.dumps(body))
    _config_refused(configured, backup, "manifest hash does not match")


def test_config_restore_refuses_an_unsafe_path(configured: Path, tmp_path: Path) -> None:
    backup = config_backup(configured, tmp_path)
    body = json.loads(backup.read_text())
    body["files"][0]["path"] = "../mcpgen.yaml"
    backup.write_text(json.dumps(body))
    _config_refused(configured, backup, "unsafe path")
