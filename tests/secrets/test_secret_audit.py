"""The audit log records every access and never a value; nothing on disk holds a plaintext value."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from secrets_support import SENTINEL, OpenStore

from mcpgen.errors import SecretKeyError
from mcpgen.secrets import JsonlAuditLog, SecretStore


def records(state_dir: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (state_dir / "audit.log").read_text().splitlines()]


def test_every_access_is_recorded(open_store: OpenStore, state_dir: Path) -> None:
    store = open_store()
    store.set("API_KEY", SENTINEL)
    store.set_many({"B": "b", "C": "c"})
    store.get("API_KEY")
    store.names()
    store.items()
    store.export_env()
    store.rotate()
    store.remove("B")
    ops = [(r["operation"], r["name"]) for r in records(state_dir)]
    assert ops == [
        ("open", None),
        ("set", "API_KEY"),
        ("set", "B"),
        ("set", "C"),
        ("get", "API_KEY"),
        ("list", None),
        ("list", None),
        ("export", None),
        ("rotate", None),
        ("rm", "B"),
    ]
    first = records(state_dir)[0]
    assert set(first) == {"time", "operation", "name", "ok", "pid", "process", "user"}
    assert first["pid"] == os.getpid()
    assert first["ok"] is True
    assert datetime.fromisoformat(str(first["time"])).utcoffset() == datetime.now(UTC).utcoffset()
    assert (state_dir / "audit.log").stat().st_mode & 0o777 == 0o600


def test_failed_access_is_recorded(open_store: OpenStore, state_dir: Path) -> None:
    open_store().set("A", "1")
    (state_dir / "secret.key").unlink()
    with pytest.raises(SecretKeyError):
        open_store()
    assert records(state_dir)[-1] == records(state_dir)[-1] | {"operation": "open", "ok": False}


def test_no_plaintext_value_anywhere(
    open_store: OpenStore, state_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = open_store()
    store.set("API_KEY", SENTINEL)
    store.set_many({"OTHER": f"prefix {SENTINEL} suffix"})
    assert store.get("API_KEY") == SENTINEL
    store.items()
    store.export_env(format="shell")
    result = store.rotate()
    open_store().rotate(new_passphrase="passphrase for the test")
    needle = SENTINEL.encode()
    for path in state_dir.rglob("*"):
        if path.is_file():
            assert needle not in path.read_bytes(), path
    assert SENTINEL not in caplog.text
    assert SENTINEL not in repr(result)
    assert SENTINEL not in repr(store.key_info)


def test_unwritable_audit_log_does_not_fail_the_access(
    open_store: OpenStore, state_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    open_store().set("A", "1")
    (state_dir / "audit.log").unlink()
    (state_dir / "audit.log").mkdir()  # appending now fails with EISDIR
    with caplog.at_level(logging.WARNING, logger="mcpgen.secrets.audit"):
        assert open_store().get("A") == "1"
    assert "could not append to the secrets audit log" in caplog.text


def test_injected_clock_and_identity(tmp_path: Path) -> None:
    log = JsonlAuditLog(
        tmp_path / "audit.log",
        clock=lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        process="mcpgen",
        pid=7,
        user="ci",
    )
    store = SecretStore.open(tmp_path, environ={}, audit=log)
    store.get("X")
    assert json.loads((tmp_path / "audit.log").read_text().splitlines()[-1]) == {
        "time": "2026-01-02T03:04:05+00:00",
        "operation": "get",
        "name": "X",
        "ok": True,
        "pid": 7,
        "process": "mcpgen",
        "user": "ci",
    }
