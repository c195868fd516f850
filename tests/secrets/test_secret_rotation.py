"""Rotation re-encrypts everything under a new key, and a crash at any step loses nothing."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from secrets_support import KEY_A, Crash, FakeKeyring, OpenStore, crash_on_replace, snapshot

from mcpgen.errors import SecretKeyError
from mcpgen.secrets import KeyringBackend
from mcpgen.secrets.crypto import decode_key, key_id
from mcpgen.secrets.keys import KeyFile

VALUES = {"ALPHA": "alpha-value-1", "BETA": "", "GAMMA": "ünïcødé 🔑"}


def kid_of(state_dir: Path) -> str:
    kid: str = json.loads((state_dir / "secrets.enc").read_text())["kid"]
    return kid


def no_temp_files(state_dir: Path) -> bool:
    return not [p for p in state_dir.iterdir() if p.name.endswith(".tmp")]


def test_rotate_with_key_file(open_store: OpenStore, state_dir: Path) -> None:
    store = open_store()
    store.set_many(VALUES)
    old_kid = kid_of(state_dir)
    old_ciphertexts = json.loads((state_dir / "secrets.enc").read_text())["entries"]
    result = store.rotate()
    assert result.old_key_id == old_kid
    assert result.new_key_id == kid_of(state_dir) != old_kid
    assert result.count == 3
    assert result.old_key_removed
    assert result.new_key is None
    assert result.pending_key_file is None
    assert result.key.kind == "key_file"
    assert [key_id(k) for k in KeyFile(state_dir / "secret.key").load()] == [result.new_key_id]
    new_ciphertexts = json.loads((state_dir / "secrets.enc").read_text())["entries"]
    assert all(new_ciphertexts[n] != old_ciphertexts[n] for n in VALUES)
    assert store.items() == VALUES  # the same handle keeps working
    assert open_store().items() == VALUES


@pytest.mark.parametrize(
    ("step", "target"),
    [(1, "secret.key"), (2, "secrets.enc"), (3, "secret.key")],
    ids=["add-key", "store", "drop-key"],
)
def test_rotation_interrupted_at_each_step_loses_nothing(
    open_store: OpenStore, state_dir: Path, monkeypatch: pytest.MonkeyPatch, step: int, target: str
) -> None:
    open_store().set_many(VALUES)
    old_kid = kid_of(state_dir)
    store = open_store()
    seen = crash_on_replace(monkeypatch, step)
    with pytest.raises(Crash):
        store.rotate()
    monkeypatch.undo()
    assert seen[-1] == target
    assert (kid_of(state_dir) == old_kid) is (step <= 2)
    assert no_temp_files(state_dir)
    assert open_store().items() == VALUES
    # A later rotation cleans up and leaves exactly one key.
    result = open_store().rotate()
    assert open_store().items() == VALUES
    held = [key_id(k) for k in KeyFile(state_dir / "secret.key").load()]
    assert result.new_key_id in held
    assert old_kid not in held or step == 3  # a crash in step 3 leaves the pre-crash key as a spare


def test_rotation_interrupted_while_writing_the_store(
    open_store: OpenStore, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_store().set_many(VALUES)
    before = snapshot(state_dir)["secrets.enc"]
    store = open_store()
    real_fsync = __import__("os").fsync
    calls = {"n": 0}

    def fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # key file: temp + dir; then the store's temp file
            raise Crash("power cut while writing the store")
        real_fsync(fd)

    monkeypatch.setattr("os.fsync", fsync)
    with pytest.raises(Crash):
        store.rotate()
    monkeypatch.undo()
    assert snapshot(state_dir)["secrets.enc"] == before
    assert no_temp_files(state_dir)
    assert open_store().items() == VALUES


def test_rotate_with_environment_key_saves_the_new_key_first(
    open_store: OpenStore, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"MCPGEN_SECRET_KEY": KEY_A}
    open_store(env).set_many(VALUES)
    # Interrupted before the store is replaced: the old key still opens it.
    seen = crash_on_replace(monkeypatch, 2)
    with pytest.raises(Crash):
        open_store(env).rotate()
    monkeypatch.undo()
    assert seen == ["secret.key.rotated", "secrets.enc"]
    assert open_store(env).items() == VALUES
    # Completed: the new key is returned once and is also on disk until the user moves it.
    result = open_store(env).rotate()
    assert result.key.kind == "env"
    assert result.new_key is not None
    new_key = result.new_key.get_secret_value()
    assert new_key not in repr(result)
    assert key_id(decode_key(new_key) or b"") == result.new_key_id
    assert result.pending_key_file == state_dir / "secret.key.rotated"
    assert (state_dir / "secret.key.rotated").stat().st_mode & 0o777 == 0o600
    with pytest.raises(SecretKeyError, match="MCPGEN_SECRET_KEY does not open"):
        open_store(env)
    assert open_store({"MCPGEN_SECRET_KEY": new_key}).items() == VALUES
    assert open_store({"MCPGEN_SECRET_KEY_FILE": str(result.pending_key_file)}).items() == VALUES


def test_rotate_passphrase_store(open_store: OpenStore, state_dir: Path) -> None:
    env = {"MCPGEN_SECRET_PASSPHRASE": "old phrase"}
    open_store(env).set_many(VALUES)
    old_salt = json.loads((state_dir / "secrets.enc").read_text())["kdf"]["salt"]
    result = open_store(env).rotate()  # same passphrase, fresh salt, new key
    assert result.new_key is None
    assert json.loads((state_dir / "secrets.enc").read_text())["kdf"]["salt"] != old_salt
    assert open_store(env).items() == VALUES
    open_store(env).rotate(new_passphrase="new phrase")
    with pytest.raises(SecretKeyError, match="wrong passphrase"):
        open_store(env)
    assert open_store({"MCPGEN_SECRET_PASSPHRASE": "new phrase"}).items() == VALUES
    assert not (state_dir / "secret.key").exists()


def test_rotate_key_file_store_to_a_passphrase_drops_the_key(open_store: OpenStore, state_dir: Path) -> None:
    open_store().set_many(VALUES)
    result = open_store().rotate(new_passphrase="from now on")
    assert result.key.kdf == "scrypt"
    assert not (state_dir / "secret.key").exists()
    assert open_store({"MCPGEN_SECRET_PASSPHRASE": "from now on"}).items() == VALUES


@pytest.mark.parametrize("crash_on_set", [1, 2])
def test_rotation_with_keyring_interrupted(open_store: OpenStore, state_dir: Path, crash_on_set: int) -> None:
    ring = FakeKeyring()
    ring.set("mcpgen", str((state_dir / "secrets.enc").absolute()), KEY_A)
    ring.sets = 0
    backend: KeyringBackend = ring
    open_store(keyring=backend).set_many(VALUES)
    assert not (state_dir / "secret.key").exists()
    ring.crash_on_set = crash_on_set
    with pytest.raises(Crash):
        open_store(keyring=backend).rotate()
    ring.crash_on_set = None
    assert open_store(keyring=backend).items() == VALUES
    result = open_store(keyring=backend).rotate()
    assert result.key.kind == "keyring"
    assert open_store(keyring=backend).items() == VALUES


def test_failure_to_drop_the_old_key_is_not_a_failed_rotation(
    open_store: OpenStore, state_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    open_store().set_many(VALUES)
    store = open_store()
    real_save = KeyFile.save
    calls = {"n": 0}

    def save(self: KeyFile, keys: list[bytes]) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real_save(self, keys)

    monkeypatch.setattr(KeyFile, "save", save)
    with caplog.at_level(logging.WARNING, logger="mcpgen.secrets"):
        result = store.rotate()
    assert not result.old_key_removed
    assert "old key is still in key file" in caplog.text
    monkeypatch.undo()
    assert len(KeyFile(state_dir / "secret.key").load()) == 2
    assert open_store().items() == VALUES


def test_rotation_keeps_old_key_in_a_shared_key_file(tmp_path: Path) -> None:
    from mcpgen.secrets import SecretStore

    key_file = tmp_path / "shared.key"
    KeyFile(key_file).save([decode_key(KEY_A) or b""])
    env = {"MCPGEN_SECRET_KEY_FILE": str(key_file)}
    first = SecretStore.open(tmp_path / "one", environ=env, keys=None)
    second = SecretStore.open(tmp_path / "two", environ=env)
    first.set("A", "1")
    second.set("B", "2")
    result = first.rotate()
    assert not result.old_key_removed
    assert SecretStore.open(tmp_path / "one", environ=env).items() == {"A": "1"}
    assert SecretStore.open(tmp_path / "two", environ=env).items() == {"B": "2"}
