"""Round trips, names and values, file modes, creation and key-source bookkeeping."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from secrets_support import KEY_A, OpenStore, snapshot

from mcpgen.errors import SecretStoreError, UsageError
from mcpgen.secrets import SecretStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_round_trip_survives_reopen(open_store: OpenStore) -> None:
    store = open_store()
    store.set("API_KEY", "sk-live-1234567890")
    assert store.get("API_KEY") == "sk-live-1234567890"
    again = open_store()
    assert again.get("API_KEY") == "sk-live-1234567890"
    assert again.get("MISSING") is None


def test_many_unicode_and_empty_values(open_store: OpenStore) -> None:
    values = {f"VAR_{i:03d}": f"value-{i}-" + "x" * i for i in range(200)}
    values |= {"UNICODE": "pässwörd 🔑 密码\tend", "EMPTY": "", "MULTILINE": "a\nb\r\nc", "QUOTES": "'\"$`\\"}
    store = open_store()
    store.set_many(values)
    assert open_store().items() == values
    assert open_store().names() == sorted(values)


def test_set_replaces_and_remove_deletes(open_store: OpenStore) -> None:
    store = open_store()
    store.set("TOKEN", "one")
    store.set("TOKEN", "two")
    assert store.get("TOKEN") == "two"
    assert store.remove("TOKEN") is True
    assert store.remove("TOKEN") is False
    assert open_store().names() == []


@pytest.mark.parametrize("name", ["", "1ABC", "A-B", "A B", "a.b", "Ä", "X\n", "$X"])
def test_invalid_names_are_rejected(open_store: OpenStore, name: str) -> None:
    store = open_store()
    with pytest.raises(UsageError, match="invalid secret name"):
        store.set(name, "v")
    with pytest.raises(UsageError):
        store.get(name)


@pytest.mark.parametrize("name", ["_", "_X", "a1", "API_KEY_2", "lower"])
def test_valid_names(open_store: OpenStore, name: str) -> None:
    store = open_store()
    store.set(name, "v")
    assert store.get(name) == "v"


def test_set_many_is_all_or_nothing(open_store: OpenStore, state_dir: Path) -> None:
    store = open_store()
    store.set("KEEP", "kept")
    before = snapshot(state_dir)
    with pytest.raises(UsageError):
        store.set_many({"GOOD": "g", "BAD-NAME": "b"})
    with pytest.raises(UsageError, match="NUL"):
        store.set_many({"GOOD": "g", "NUL": "a\x00b"})
    assert snapshot(state_dir) == before
    assert store.items() == {"KEEP": "kept"}


def test_file_modes(open_store: OpenStore, state_dir: Path) -> None:
    store = open_store()
    store.set("A", "1")
    assert mode(state_dir) == 0o700
    for name in ("secrets.enc", "secret.key", "audit.log", "secrets.lock"):
        assert mode(state_dir / name) == 0o600, name
    store.rotate()
    assert mode(state_dir / "secrets.enc") == 0o600
    assert mode(state_dir / "secret.key") == 0o600
    assert sorted(p.name for p in state_dir.iterdir()) == [
        "audit.log",
        "secret.key",
        "secrets.enc",
        "secrets.lock",
    ]


def test_files_are_never_world_readable_even_briefly(
    open_store: OpenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.replace
    modes: list[int] = []

    def replace(src: str, dst: str) -> None:
        modes.append(stat.S_IMODE(os.stat(src).st_mode))
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    store = open_store()
    store.set("A", "1")
    store.rotate()
    assert modes
    assert set(modes) == {0o600}


def test_existing_state_dir_keeps_its_mode(open_store: OpenStore, state_dir: Path) -> None:
    state_dir.mkdir(parents=True, mode=0o755)
    open_store().set("A", "1")
    assert mode(state_dir) == 0o755
    assert mode(state_dir / "secrets.enc") == 0o600


def test_new_store_without_key_source_generates_a_key_file(open_store: OpenStore, state_dir: Path) -> None:
    store = open_store()
    assert store.created
    info = store.key_info
    assert info.generated
    assert info.kind == "key_file"
    assert info.key_file == state_dir / "secret.key"
    assert store.path == state_dir / "secrets.enc"
    again = open_store()
    assert not again.created
    assert not again.key_info.generated
    assert again.key_info.key_id == info.key_id


def test_open_without_create_requires_a_store(open_store: OpenStore, state_dir: Path) -> None:
    with pytest.raises(SecretStoreError, match="no secret store") as err:
        open_store(create=False)
    assert err.value.path == state_dir / "secrets.enc"
    assert not state_dir.exists()


def test_environment_key_creates_store_without_key_file(open_store: OpenStore, state_dir: Path) -> None:
    store = open_store({"MCPGEN_SECRET_KEY": KEY_A})
    store.set("A", "1")
    assert store.key_info.kind == "env"
    assert not (state_dir / "secret.key").exists()
    assert open_store({"MCPGEN_SECRET_KEY": KEY_A.replace("=", "")}).get("A") == "1"


def test_open_reads_nothing_from_os_environ(state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPGEN_SECRET_KEY", KEY_A)
    store = SecretStore.open(state_dir, keys=None, environ={})
    assert store.key_info.kind == "key_file"
    assert store.key_info.generated


def test_read_only_state_dir_reads_but_refuses_writes_cleanly(open_store: OpenStore, state_dir: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    open_store().set("A", "1")
    state_dir.chmod(0o500)
    try:
        assert open_store().get("A") == "1"
        with pytest.raises(SecretStoreError):
            open_store().set("B", "2")
    finally:
        state_dir.chmod(0o700)
    assert open_store().items() == {"A": "1"}


def test_write_failure_leaves_the_store_unchanged(
    open_store: OpenStore, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store()
    store.set("A", "1")
    before = snapshot(state_dir)

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(SecretStoreError, match="No space left on device; nothing was changed"):
        store.set("B", "2")
    monkeypatch.undo()
    assert snapshot(state_dir) == before
    assert [p.name for p in state_dir.iterdir() if p.name.endswith(".tmp")] == []
