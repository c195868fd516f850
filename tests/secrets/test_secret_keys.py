"""Key sources: passphrases (scrypt), key files and their permissions, the OS keyring."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from secrets_support import FAST_SCRYPT, KEY_A, FakeKeyring, OpenStore, snapshot

from mcpgen.errors import SecretKeyError, UsageError
from mcpgen.secrets import ScryptParams, SecretStore, SystemKeyring
from mcpgen.secrets.crypto import decode_key, encode_key


def header(state_dir: Path) -> dict[str, object]:
    body: dict[str, object] = json.loads((state_dir / "secrets.enc").read_text())
    return body


class Prompt:
    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return self.answer


def test_passphrase_store_persists_salt_and_cost(open_store: OpenStore, state_dir: Path) -> None:
    env = {"MCPGEN_SECRET_PASSPHRASE": "correct horse battery staple"}
    store = open_store(env)
    store.set("A", "1")
    kdf = header(state_dir)["kdf"]
    assert isinstance(kdf, dict)
    assert kdf["name"] == "scrypt"
    assert (kdf["n"], kdf["r"], kdf["p"]) == (FAST_SCRYPT.n, FAST_SCRYPT.r, FAST_SCRYPT.p)
    assert len(base64.b64decode(kdf["salt"])) == 16
    assert store.key_info.kind == "passphrase"
    assert not (state_dir / "secret.key").exists()
    store.set("B", "2")
    assert header(state_dir)["kdf"] == kdf  # the salt stays with the store
    assert open_store(env).items() == {"A": "1", "B": "2"}


def test_wrong_passphrase(open_store: OpenStore, state_dir: Path) -> None:
    open_store({"MCPGEN_SECRET_PASSPHRASE": "right"}).set("A", "1")
    before = snapshot(state_dir)
    with pytest.raises(
        SecretKeyError, match="the passphrase from MCPGEN_SECRET_PASSPHRASE does not open"
    ) as err:
        open_store({"MCPGEN_SECRET_PASSPHRASE": "Tr0ub4dor&3"})
    assert "Tr0ub4dor" not in str(err.value)
    assert snapshot(state_dir) == before
    with pytest.raises(SecretKeyError, match="protected by a passphrase"):
        open_store()


def test_non_key_environment_value_is_a_passphrase(open_store: OpenStore, state_dir: Path) -> None:
    store = open_store({"MCPGEN_SECRET_KEY": "just a passphrase"})
    store.set("A", "1")
    assert store.key_info.kdf == "scrypt"
    assert open_store({"MCPGEN_SECRET_PASSPHRASE": "just a passphrase"}).get("A") == "1"


def test_passphrase_callback_is_asked_only_when_needed(open_store: OpenStore) -> None:
    open_store({"MCPGEN_SECRET_KEY": KEY_A}).set("A", "1")
    prompt = Prompt("unused")
    assert open_store({"MCPGEN_SECRET_KEY": KEY_A}, passphrase=prompt).get("A") == "1"
    assert prompt.calls == 0


def test_new_store_never_asks_the_prompt(open_store: OpenStore, state_dir: Path) -> None:
    prompt = Prompt("typed at the prompt")
    store = open_store(passphrase=prompt)
    assert prompt.calls == 0
    assert store.key_info.generated
    assert store.key_info.kdf == "none"


def test_passphrase_callback_opens_a_passphrase_store(open_store: OpenStore, state_dir: Path) -> None:
    open_store({"MCPGEN_SECRET_PASSPHRASE": "typed at the prompt"}).set("A", "1")
    prompt = Prompt("typed at the prompt")
    assert open_store(passphrase=prompt).get("A") == "1"
    assert prompt.calls == 1
    with pytest.raises(SecretKeyError, match="passphrase prompt does not open"):
        open_store(passphrase=Prompt("typo"))
    with pytest.raises(UsageError, match="empty"):
        open_store(passphrase=Prompt(""))


def test_default_scrypt_cost_is_interactive_strength(tmp_path: Path) -> None:
    assert ScryptParams() == ScryptParams(n=2**15, r=8, p=1)
    with pytest.raises(ValueError, match="power of two"):
        ScryptParams(n=1000)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_key_file_readable_by_others_is_refused(open_store: OpenStore, state_dir: Path, mode: int) -> None:
    open_store().set("A", "1")
    key_file = state_dir / "secret.key"
    key_file.chmod(mode)
    before = snapshot(state_dir)
    with pytest.raises(SecretKeyError, match=r"accessible by other users .*chmod 600") as err:
        open_store()
    assert err.value.path == key_file
    assert snapshot(state_dir) == before


def test_key_file_from_environment(open_store: OpenStore, tmp_path: Path) -> None:
    key_file = tmp_path / "elsewhere.key"
    key_file.write_text(f"# my key\n\n{KEY_A}\n")
    key_file.chmod(0o600)
    env = {"MCPGEN_SECRET_KEY_FILE": str(key_file)}
    store = open_store(env)
    store.set("A", "1")
    assert store.key_info.key_file == key_file
    assert not store.key_info.generated
    assert open_store({"MCPGEN_SECRET_KEY": KEY_A}).get("A") == "1"
    key_file.unlink()
    with pytest.raises(SecretKeyError, match=r"MCPGEN_SECRET_KEY_FILE names .* which does not exist"):
        open_store(env)


def test_missing_key_file_from_environment_is_generated_for_a_new_store(
    open_store: OpenStore, tmp_path: Path
) -> None:
    key_file = tmp_path / "keys" / "new.key"
    store = open_store({"MCPGEN_SECRET_KEY_FILE": str(key_file)})
    assert store.key_info.generated
    assert store.key_info.key_file == key_file
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_malformed_key_file(open_store: OpenStore, state_dir: Path) -> None:
    open_store().set("A", "1")
    (state_dir / "secret.key").write_text("not-a-key-but-secret-text\n")
    with pytest.raises(SecretKeyError, match="line 1 is not a base64-encoded 32-byte key") as err:
        open_store()
    assert "secret-text" not in str(err.value)


def test_keyring_holds_the_key_when_present(open_store: OpenStore, state_dir: Path) -> None:
    ring = FakeKeyring()
    ring.set("mcpgen", str((state_dir / "secrets.enc").absolute()), KEY_A)
    store = open_store(keyring=ring)
    store.set("A", "1")
    assert store.key_info.kind == "keyring"
    assert not (state_dir / "secret.key").exists()
    assert open_store({"MCPGEN_SECRET_KEY": KEY_A}).get("A") == "1"
    with pytest.raises(SecretKeyError, match=r"OS keyring \(no key with id"):
        open_store(keyring=FakeKeyring())


def test_fail_keyring_backend_is_skipped(state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())  # type: ignore[no-untyped-call]
    assert SystemKeyring().available() is False
    store = SecretStore.open(state_dir, environ={})  # the real provider with the real keyring wrapper
    store.set("A", "1")
    assert store.key_info.kind == "key_file"
    (state_dir / "secret.key").unlink()
    with pytest.raises(SecretKeyError, match=r"OS keyring \(no usable backend\)"):
        SecretStore.open(state_dir, environ={})


@pytest.mark.parametrize(
    "text",
    [
        KEY_A,
        KEY_A.rstrip("="),
        base64.b64encode(bytes(range(32))).decode(),
        f"  {KEY_A}\n",
        encode_key(b"\xfb\xff" * 16),
        base64.b64encode(b"\xfb\xff" * 16).decode(),
    ],
)
def test_decode_key_accepts_both_base64_alphabets(text: str) -> None:
    assert decode_key(text) is not None


@pytest.mark.parametrize("text", ["", "short", base64.b64encode(b"x" * 31).decode(), "!" * 44, "a b"])
def test_decode_key_rejects_non_keys(text: str) -> None:
    assert decode_key(text) is None
