"""Fixtures for the secret store tests: umask 0, a state dir, and an opener with fast scrypt."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from secrets_support import FAST_SCRYPT, OpenStore

from mcpgen.secrets import DefaultKeyProvider, NoKeyring, SecretStore


@pytest.fixture(autouse=True)
def _no_umask_help() -> Iterator[None]:
    """Run with umask 0 so file modes come from the code, not from a friendly umask."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "project" / ".mcpgen"


@pytest.fixture
def open_store(state_dir: Path) -> OpenStore:
    """``open_store(environ=..., **kw)``: open with fast scrypt and no OS keyring."""

    def _open(environ: Mapping[str, str] | None = None, **kwargs: Any) -> SecretStore:
        env = dict(environ or {})
        keyring = kwargs.pop("keyring", NoKeyring())
        passphrase = kwargs.pop("passphrase", None)
        provider = DefaultKeyProvider(
            state_dir / "secrets.enc", environ=env, passphrase=passphrase, keyring=keyring, scrypt=FAST_SCRYPT
        )
        return SecretStore.open(state_dir, keys=provider, scrypt=FAST_SCRYPT, **kwargs)

    return _open
