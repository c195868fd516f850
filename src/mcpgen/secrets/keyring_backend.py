"""The OS keyring as a place to keep store keys (optional: the ``keyring`` extra).

:class:`SystemKeyring` wraps the ``keyring`` package and reports itself
unavailable when the package is missing or its backend cannot store anything
(the ``fail`` and ``null`` backends, which headless machines and containers
get). This is the only module that imports ``keyring``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from mcpgen.errors import SecretKeyError
from mcpgen.secrets.crypto import decode_key, encode_key

logger = logging.getLogger(__name__)

KEYRING_SERVICE = "mcpgen"


class KeyringBackend(Protocol):
    """The few keyring operations the store needs; tests pass an in-memory fake."""

    def available(self) -> bool: ...

    def get(self, service: str, username: str) -> str | None: ...

    def set(self, service: str, username: str, value: str) -> None: ...

    def delete(self, service: str, username: str) -> None: ...


class NoKeyring:
    """A keyring that is never available (to switch the keyring off explicitly)."""

    def available(self) -> bool:
        return False

    def get(self, service: str, username: str) -> str | None:
        return None

    def set(self, service: str, username: str, value: str) -> None:
        raise SecretKeyError("no OS keyring is available")

    def delete(self, service: str, username: str) -> None:
        return None


class SystemKeyring:
    """The real OS keyring through the ``keyring`` package, if it has a usable backend."""

    def __init__(self) -> None:
        self._usable: bool | None = None

    def available(self) -> bool:
        if self._usable is None:
            self._usable = _detect_backend()
        return self._usable

    def get(self, service: str, username: str) -> str | None:
        import keyring
        import keyring.errors

        try:
            value: str | None = keyring.get_password(service, username)
        except keyring.errors.KeyringError as exc:
            raise SecretKeyError(f"the OS keyring could not be read: {type(exc).__name__}") from exc
        return value

    def set(self, service: str, username: str, value: str) -> None:
        import keyring
        import keyring.errors

        try:
            keyring.set_password(service, username, value)
        except keyring.errors.KeyringError as exc:
            raise SecretKeyError(f"the OS keyring could not be written: {type(exc).__name__}") from exc

    def delete(self, service: str, username: str) -> None:
        import keyring
        import keyring.errors

        try:
            keyring.delete_password(service, username)
        except keyring.errors.PasswordDeleteError:
            return
        except keyring.errors.KeyringError as exc:
            raise SecretKeyError(f"the OS keyring could not be written: {type(exc).__name__}") from exc


def _detect_backend() -> bool:
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return False
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration must not break the store
        logger.debug("keyring backend detection failed", exc_info=True)
        return False
    if isinstance(backend, fail.Keyring):
        return False
    try:
        priority = float(backend.priority)
    except Exception:
        return False
    return priority > 0


class KeyringHolder:
    """Store keys kept in the keyring under service ``mcpgen``, username = the absolute store path.

    The value is one or more keys (URL-safe base64) separated by spaces: during
    a rotation it briefly holds the old and the new key.
    """

    def __init__(self, backend: KeyringBackend, username: str) -> None:
        self._backend = backend
        self._username = username
        self.description = "the OS keyring"
        self.exclusive = True

    def load(self) -> list[bytes]:
        value = self._backend.get(KEYRING_SERVICE, self._username)
        if value is None:
            return []
        keys = [decode_key(part) for part in value.split()]
        if any(key is None for key in keys):
            raise SecretKeyError(
                f"the OS keyring entry {KEYRING_SERVICE}/{self._username} does not hold mcpgen keys"
            )
        return [key for key in keys if key is not None]

    def save(self, keys: Sequence[bytes]) -> None:
        if not keys:
            self._backend.delete(KEYRING_SERVICE, self._username)
            return
        self._backend.set(KEYRING_SERVICE, self._username, " ".join(encode_key(key) for key in keys))
