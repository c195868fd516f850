"""Wrong keys, tampered bytes, edited headers, swapped entries: a clear error and no change."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from secrets_support import KEY_A, KEY_B, OpenStore, snapshot

from mcpgen.errors import SecretKeyError, SecretStoreError
from mcpgen.secrets.crypto import encode_key


def load(state_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((state_dir / "secrets.enc").read_text())
    return data


def save(state_dir: Path, body: dict[str, Any]) -> None:
    (state_dir / "secrets.enc").write_text(json.dumps(body, indent=2))


def flip_byte(b64: str, index: int = 0) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


@pytest.fixture
def populated(open_store: OpenStore, state_dir: Path) -> Path:
    open_store({"MCPGEN_SECRET_KEY": KEY_A}).set_many({"ALPHA": "alpha-value-1", "BETA": "beta-value-22"})
    return state_dir


def assert_refused_unchanged(
    open_store: OpenStore, state_dir: Path, error: type[Exception], match: str
) -> None:
    """Opening fails with ``error``; so does writing through an older handle; nothing on disk moves."""
    before = snapshot(state_dir)
    with pytest.raises(error, match=match) as err:
        open_store({"MCPGEN_SECRET_KEY": KEY_A})
    assert "alpha-value-1" not in str(err.value)
    assert snapshot(state_dir) == before


def test_wrong_environment_key(populated: Path, open_store: OpenStore) -> None:
    before = snapshot(populated)
    with pytest.raises(SecretKeyError, match="MCPGEN_SECRET_KEY does not open") as err:
        open_store({"MCPGEN_SECRET_KEY": KEY_B})
    assert KEY_B not in str(err.value)
    assert KEY_A not in str(err.value)
    assert err.value.path == populated / "secrets.enc"
    assert snapshot(populated) == before


def test_wrong_key_file(open_store: OpenStore, state_dir: Path) -> None:
    open_store().set("A", "1")
    key_file = state_dir / "secret.key"
    key_file.write_text(KEY_B + "\n")
    before = snapshot(state_dir)
    with pytest.raises(SecretKeyError, match=r"no key opens .*key file .*secret.key \(no key with id"):
        open_store()
    assert snapshot(state_dir) == before


def test_missing_key(open_store: OpenStore, state_dir: Path) -> None:
    open_store().set("A", "1")
    (state_dir / "secret.key").unlink()
    with pytest.raises(SecretKeyError, match=r"MCPGEN_SECRET_KEY \(not set\).*not found.*OS keyring"):
        open_store(create=False)


def test_raw_key_store_refuses_a_passphrase_in_the_key_variable(
    populated: Path, open_store: OpenStore
) -> None:
    with pytest.raises(SecretKeyError, match="not a passphrase"):
        open_store({"MCPGEN_SECRET_KEY": "correct horse battery staple"})


def test_flipped_ciphertext_byte(populated: Path, open_store: OpenStore) -> None:
    body = load(populated)
    body["entries"]["BETA"]["ciphertext"] = flip_byte(body["entries"]["BETA"]["ciphertext"], 3)
    save(populated, body)
    assert_refused_unchanged(
        open_store,
        populated,
        SecretStoreError,
        r"secrets.enc is corrupted or was modified: entry BETA failed",
    )


def test_flipped_nonce_byte(populated: Path, open_store: OpenStore) -> None:
    body = load(populated)
    body["entries"]["ALPHA"]["nonce"] = flip_byte(body["entries"]["ALPHA"]["nonce"])
    save(populated, body)
    assert_refused_unchanged(open_store, populated, SecretStoreError, "entry ALPHA failed authentication")


def test_tampering_after_open_blocks_reads_and_writes(populated: Path, open_store: OpenStore) -> None:
    store = open_store({"MCPGEN_SECRET_KEY": KEY_A})
    body = load(populated)
    body["entries"]["BETA"]["ciphertext"] = flip_byte(body["entries"]["BETA"]["ciphertext"], -1)
    save(populated, body)
    before = snapshot(populated)
    with pytest.raises(SecretStoreError, match="entry BETA failed authentication") as err:
        store.get("BETA")
    assert err.value.name == "BETA"
    for attempt in (
        store.items,
        lambda: store.set("GAMMA", "g"),
        lambda: store.remove("ALPHA"),
        store.rotate,
    ):
        with pytest.raises(SecretStoreError, match="corrupted or was modified"):
            attempt()
    assert snapshot(populated) == before


def test_swapped_entries_fail_authentication(populated: Path, open_store: OpenStore) -> None:
    body = load(populated)
    entries = body["entries"]
    entries["ALPHA"], entries["BETA"] = entries["BETA"], entries["ALPHA"]
    save(populated, body)
    assert_refused_unchanged(open_store, populated, SecretStoreError, "entry ALPHA failed authentication")


def test_entry_copied_under_another_name_fails(populated: Path, open_store: OpenStore) -> None:
    body = load(populated)
    body["entries"]["BETA"] = body["entries"]["ALPHA"]
    save(populated, body)
    assert_refused_unchanged(open_store, populated, SecretStoreError, "entry BETA failed authentication")


@pytest.mark.parametrize(
    ("edit", "error", "match"),
    [
        (lambda b: b["entries"].pop("BETA"), SecretStoreError, r"removed \(BETA\) outside mcpgen"),
        (lambda b: b["entries"].update(GAMMA=b["entries"]["ALPHA"]), SecretStoreError, r"added \(GAMMA\)"),
        (lambda b: b.update(kid="0" * 16), SecretKeyError, "MCPGEN_SECRET_KEY does not open"),
        (
            lambda b: b.update(kdf={"name": "scrypt", "salt": "A" * 24, "n": 256, "r": 8, "p": 1}),
            SecretKeyError,
            "KDF settings were edited",
        ),
        (lambda b: b.update(check=b["entries"]["ALPHA"]), SecretStoreError, "header failed authentication"),
        (lambda b: b.update(version=2), SecretStoreError, "format version 2"),
        (lambda b: b.update(cipher="AES-128-CBC"), SecretStoreError, "not a valid mcpgen secret store"),
        (lambda b: b.update(kdf={"name": "argon2"}), SecretStoreError, "unknown key derivation"),
        (
            lambda b: b["entries"].update({"BAD-NAME": b["entries"]["ALPHA"]}),
            SecretStoreError,
            "not a valid secret",
        ),
        (
            lambda b: b["entries"]["ALPHA"].update(nonce="!!"),
            SecretStoreError,
            "ALPHA.nonce is not valid base64",
        ),
        (
            lambda b: b.update(kdf={"name": "scrypt", "salt": "A" * 24, "n": 2**30, "r": 8, "p": 1}),
            SecretStoreError,
            "256 MiB",
        ),
    ],
    ids=[
        "removed",
        "added",
        "kid",
        "kdf",
        "check",
        "version",
        "cipher",
        "kdf-name",
        "name",
        "nonce",
        "scrypt-cost",
    ],
)
def test_edited_file_is_refused(
    populated: Path, open_store: OpenStore, edit: Any, error: type[Exception], match: str
) -> None:
    body = load(populated)
    edit(body)
    save(populated, body)
    assert_refused_unchanged(open_store, populated, error, match)


def test_reformatted_json_still_opens(populated: Path, open_store: OpenStore) -> None:
    """Reformatting the JSON is harmless; the header is compared by value, not by bytes."""
    body = load(populated)
    (populated / "secrets.enc").write_text(json.dumps(body, separators=(",", ":"), sort_keys=True))
    assert open_store({"MCPGEN_SECRET_KEY": KEY_A}).get("ALPHA") == "alpha-value-1"


@pytest.mark.parametrize("content", [b"", b"{not json", b"[]", b"\xff\xfe", b'{"format": "other"}'])
def test_malformed_file(populated: Path, open_store: OpenStore, content: bytes) -> None:
    (populated / "secrets.enc").write_bytes(content)
    with pytest.raises(SecretStoreError, match="is not a valid mcpgen secret store") as err:
        open_store({"MCPGEN_SECRET_KEY": KEY_A})
    assert err.value.path == populated / "secrets.enc"
    assert (populated / "secrets.enc").read_bytes() == content


def test_ciphertext_from_another_store_with_another_key_fails(
    populated: Path, open_store: OpenStore, tmp_path: Path
) -> None:
    from mcpgen.secrets import SecretStore

    other_dir = tmp_path / "other"
    SecretStore.open(other_dir, environ={"MCPGEN_SECRET_KEY": encode_key(b"k" * 32)}).set("ALPHA", "evil")
    body = load(populated)
    body["entries"]["ALPHA"] = load(other_dir)["entries"]["ALPHA"]
    save(populated, body)
    assert_refused_unchanged(open_store, populated, SecretStoreError, "entry ALPHA failed authentication")
