"""Where the store key comes from: the key sources, their order, and key files.

Opening an existing store, the file header decides what kind of key is needed:

* ``kdf: none`` (a raw 256-bit key), tried in this order:
  ``MCPGEN_SECRET_KEY`` (base64 of 32 bytes; when set it is the only source
  tried), then the key file (``MCPGEN_SECRET_KEY_FILE``, else
  ``<state_dir>/secret.key`` if it exists), then the OS keyring (service
  ``mcpgen``, username the absolute store path) when a usable backend exists.
  A key file or keyring entry may hold several keys; the one whose key id
  matches the header is used.
* ``kdf: scrypt`` (a passphrase): ``MCPGEN_SECRET_KEY`` read as a passphrase,
  then ``MCPGEN_SECRET_PASSPHRASE``, then the interactive ``passphrase`` callback.

Creating a store walks the same sources in the same order (a
``MCPGEN_SECRET_KEY`` that is not a 32-byte key is a passphrase) except the
interactive callback, which is never asked for a *new* passphrase (a single
unconfirmed answer with a typo would seal the store for good; to protect a
store with a passphrase, set ``MCPGEN_SECRET_PASSPHRASE`` or call
``rotate(new_passphrase=...)`` after a confirmed prompt). When no source is
set, a random key is generated into the key file (0600) and
:attr:`StoreKey.generated` says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from mcpgen.errors import SecretKeyError, UsageError
from mcpgen.secrets.crypto import (
    DEFAULT_SCRYPT,
    ScryptParams,
    decode_key,
    derive_key,
    encode_key,
    generate_key,
    generate_salt,
    key_id,
)
from mcpgen.secrets.document import NO_KDF, Header, Kdf
from mcpgen.secrets.fs import atomic_write_private, check_private, ensure_private_dir
from mcpgen.secrets.keyring_backend import KeyringBackend, KeyringHolder, SystemKeyring

ENV_KEY = "MCPGEN_SECRET_KEY"
ENV_KEY_FILE = "MCPGEN_SECRET_KEY_FILE"
ENV_PASSPHRASE = "MCPGEN_SECRET_PASSPHRASE"
DEFAULT_KEY_FILE = "secret.key"

KeyKind = Literal["env", "key_file", "keyring", "passphrase"]


class KeyHolder(Protocol):
    """Somewhere mcpgen may keep and rewrite store keys (a key file, the OS keyring).

    ``exclusive`` is true when only this store uses the holder, so a rotation
    may remove the old key; a key file named by ``MCPGEN_SECRET_KEY_FILE`` may
    serve several stores and keeps it.
    """

    description: str
    exclusive: bool

    def load(self) -> list[bytes]: ...

    def save(self, keys: Sequence[bytes]) -> None:
        """Replace the held keys atomically; an empty list removes the holder's entry."""


@dataclass(frozen=True)
class StoreKey:
    """A resolved store key and where it came from. Its repr never shows key material."""

    key: bytes = field(repr=False)
    kdf: Kdf
    kind: KeyKind
    source: str
    holder: KeyHolder | None = None
    passphrase: str | None = field(default=None, repr=False)
    generated: bool = False

    @property
    def kid(self) -> str:
        return key_id(self.key)


class KeyProvider(Protocol):
    """Resolves the key for a store; :class:`DefaultKeyProvider` is the real one."""

    def for_existing(self, header: Header) -> StoreKey: ...

    def for_new(self) -> StoreKey: ...


class KeyFile:
    """A key file: one URL-safe base64 key per line, ``#`` comments; must be mode 0600."""

    def __init__(self, path: Path, *, exclusive: bool = True) -> None:
        self.path = path
        self.exclusive = exclusive
        self.description = f"key file {path}"

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> list[bytes]:
        check_private(self.path, "key file")
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SecretKeyError(f"cannot read key file {self.path}: {exc}", path=self.path) from None
        keys: list[bytes] = []
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            key = decode_key(stripped)
            if key is None:
                raise SecretKeyError(
                    f"key file {self.path} line {number} is not a base64-encoded 32-byte key", path=self.path
                )
            keys.append(key)
        return keys

    def save(self, keys: Sequence[bytes]) -> None:
        if not keys:
            self.path.unlink(missing_ok=True)
            return
        lines = ["# mcpgen secret-store key: keep this file private (mode 0600), never commit it."]
        for key in keys:
            lines += [f"# key id {key_id(key)}", encode_key(key)]
        ensure_private_dir(self.path.parent)
        try:
            atomic_write_private(self.path, ("\n".join(lines) + "\n").encode("ascii"))
        except OSError as exc:
            raise SecretKeyError(
                f"cannot write key file {self.path}: {exc.strerror or exc}", path=self.path
            ) from exc


def stretch(passphrase: str, *, source: str, params: ScryptParams, salt: bytes | None = None) -> StoreKey:
    """A passphrase key: scrypt over ``passphrase`` with ``salt`` (fresh when omitted)."""
    if not passphrase:
        raise UsageError(f"the passphrase from {source} is empty")
    salt = generate_salt() if salt is None else salt
    kdf = Kdf(name="scrypt", salt=salt, params=params)
    return StoreKey(
        key=derive_key(passphrase, salt, params),
        kdf=kdf,
        kind="passphrase",
        source=source,
        passphrase=passphrase,
    )


def next_key(current: StoreKey, *, new_passphrase: str | None, params: ScryptParams) -> StoreKey:
    """The key a rotation moves to: a new passphrase, the same passphrase with a fresh salt,
    or a fresh random key kept where the current one is kept."""
    if new_passphrase is not None:
        return stretch(new_passphrase, source="the new passphrase", params=params)
    if current.kdf.name == "scrypt" and current.passphrase is not None:
        return stretch(current.passphrase, source=current.source, params=params)
    return StoreKey(
        key=generate_key(), kdf=NO_KDF, kind=current.kind, source=current.source, holder=current.holder
    )


class DefaultKeyProvider:
    """The key sources of the module docstring, read from ``environ`` (never ``os.environ``)."""

    def __init__(
        self,
        store_path: Path,
        *,
        environ: Mapping[str, str],
        passphrase: Callable[[], str] | None = None,
        keyring: KeyringBackend | None = None,
        scrypt: ScryptParams = DEFAULT_SCRYPT,
    ) -> None:
        self._store_path = store_path
        self._environ = environ
        self._ask = passphrase
        self._keyring = SystemKeyring() if keyring is None else keyring
        self._scrypt = scrypt

    def for_existing(self, header: Header) -> StoreKey:
        if header.kdf.name == "scrypt" and header.kdf.params is not None:
            phrase, source = self._passphrase()
            if phrase is None:
                raise SecretKeyError(
                    f"{self._store_path} is protected by a passphrase: set {ENV_PASSPHRASE} "
                    "or run interactively",
                    path=self._store_path,
                )
            key = stretch(phrase, source=source, params=header.kdf.params, salt=header.kdf.salt)
            if key.kid != header.kid:
                raise self._wrong(
                    f"the passphrase from {source}", hint="wrong passphrase, or its KDF settings were edited"
                )
            return key
        env = self._environ.get(ENV_KEY)
        if env is not None:
            raw = decode_key(env)
            if raw is None:
                raise SecretKeyError(
                    f"{ENV_KEY} is not a base64-encoded 32-byte key, and {self._store_path} "
                    "is encrypted with a key, not a passphrase",
                    path=self._store_path,
                )
            if key_id(raw) != header.kid:
                raise self._wrong(f"the key in {ENV_KEY}")
            return StoreKey(key=raw, kdf=NO_KDF, kind="env", source=ENV_KEY)
        tried = [f"{ENV_KEY} (not set)"]
        for kind, holder, missing in self._holders():
            if holder is None:
                tried.append(missing)
                continue
            for raw in holder.load():
                if key_id(raw) == header.kid:
                    return StoreKey(key=raw, kdf=NO_KDF, kind=kind, source=holder.description, holder=holder)
            tried.append(f"{holder.description} (no key with id {header.kid})")
        raise SecretKeyError(
            f"no key opens {self._store_path}: tried " + ", ".join(tried) + "; nothing was changed",
            path=self._store_path,
        )

    def for_new(self) -> StoreKey:
        env = self._environ.get(ENV_KEY)
        if env is not None:
            raw = decode_key(env)
            if raw is not None:
                return StoreKey(key=raw, kdf=NO_KDF, kind="env", source=ENV_KEY)
            return stretch(env, source=f"{ENV_KEY} (used as a passphrase)", params=self._scrypt)
        for kind, holder, _ in self._holders(creating=True):
            if holder is not None:
                keys = holder.load()
                if keys:
                    return StoreKey(
                        key=keys[-1], kdf=NO_KDF, kind=kind, source=holder.description, holder=holder
                    )
        phrase = self._environ.get(ENV_PASSPHRASE)
        if phrase is not None:  # the prompt is not asked here: one unconfirmed answer must not seal a store
            return stretch(phrase, source=ENV_PASSPHRASE, params=self._scrypt)
        key_file = self._key_file()
        key = generate_key()
        key_file.save([key])
        return StoreKey(
            key=key, kdf=NO_KDF, kind="key_file", source=key_file.description, holder=key_file, generated=True
        )

    def _key_file(self) -> KeyFile:
        explicit = self._environ.get(ENV_KEY_FILE)
        if explicit:
            return KeyFile(Path(explicit).expanduser(), exclusive=False)
        return KeyFile(self._store_path.parent / DEFAULT_KEY_FILE)

    def _holders(self, *, creating: bool = False) -> list[tuple[KeyKind, KeyHolder | None, str]]:
        """The raw-key holders in order: ``(kind, holder or None, why it was skipped)``."""
        key_file = self._key_file()
        file_holder: KeyHolder | None = key_file
        if not key_file.exists():
            if self._environ.get(ENV_KEY_FILE) and not creating:
                raise SecretKeyError(
                    f"{ENV_KEY_FILE} names {key_file.path}, which does not exist", path=key_file.path
                )
            file_holder = None
        ring_holder: KeyHolder | None = None
        if self._keyring.available():
            ring_holder = KeyringHolder(self._keyring, str(self._store_path.absolute()))
        return [
            ("key_file", file_holder, f"{key_file.description} (not found)"),
            ("keyring", ring_holder, "the OS keyring (no usable backend)"),
        ]

    def _passphrase(self) -> tuple[str | None, str]:
        for name in (ENV_KEY, ENV_PASSPHRASE):
            value = self._environ.get(name)
            if value is not None:
                return value, name
        if self._ask is not None:
            return self._ask(), "the passphrase prompt"
        return None, "no passphrase source"

    def _wrong(self, what: str, *, hint: str = "wrong key") -> SecretKeyError:
        return SecretKeyError(
            f"{what} does not open {self._store_path} ({hint}); nothing was changed",
            path=self._store_path,
        )
