"""Helpers for the secret store tests: fixed keys, fast scrypt, a fake keyring, crash injection."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mcpgen.secrets import ScryptParams, SecretStore
from mcpgen.secrets.crypto import encode_key

FAST_SCRYPT = ScryptParams(n=2**8, r=8, p=1)
KEY_A = encode_key(bytes(range(32)))
KEY_B = encode_key(bytes(range(1, 33)))
SENTINEL = "SENTINEL-7f3a9c0d-do-not-leak"

OpenStore = Callable[..., SecretStore]


class Crash(BaseException):
    """Simulates the process dying at a chosen moment (nothing catches a BaseException)."""


class FakeKeyring:
    """An in-memory keyring; ``crash_on_set`` makes the Nth write die."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], str] = {}
        self.sets = 0
        self.crash_on_set: int | None = None

    def available(self) -> bool:
        return True

    def get(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set(self, service: str, username: str, value: str) -> None:
        self.sets += 1
        if self.sets == self.crash_on_set:
            raise Crash(f"keyring write #{self.sets}")
        self.data[(service, username)] = value

    def delete(self, service: str, username: str) -> None:
        self.data.pop((service, username), None)


def snapshot(state_dir: Path) -> dict[str, bytes]:
    """Bytes of every file that holds keys or secrets (not the audit log or the lock)."""
    return {
        p.name: p.read_bytes()
        for p in sorted(state_dir.iterdir())
        if p.is_file() and p.name not in ("audit.log", "secrets.lock")
    }


def crash_on_replace(monkeypatch: pytest.MonkeyPatch, nth: int) -> list[str]:
    """Make the ``nth`` call to os.replace die before it renames; returns the targets seen."""
    real = os.replace
    seen: list[str] = []

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(Path(dst).name)
        if len(seen) == nth:
            raise Crash(f"crash before replacing {Path(dst).name}")
        real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    return seen
