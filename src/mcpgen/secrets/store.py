"""The encrypted secret store: :class:`SecretStore` over ``<state_dir>/secrets.enc``.

Every operation re-reads the file and checks the sealed index before it
trusts anything, so a store object never acts on stale or modified bytes.
Writes hold an advisory lock (``secrets.lock``), decrypt and authenticate
*every* entry first (a tampered file is refused, never rewritten), then
replace the file atomically (see :mod:`mcpgen.secrets.fs`).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from pydantic import SecretStr

from mcpgen.errors import SecretKeyError, SecretStoreError
from mcpgen.secrets.audit import AuditSink, JsonlAuditLog, Operation
from mcpgen.secrets.backup import unwrap, wrap
from mcpgen.secrets.crypto import (
    DEFAULT_SCRYPT,
    AuthenticationFailed,
    ScryptParams,
    encode_key,
    key_id,
    seal,
    unseal,
)
from mcpgen.secrets.document import Header, Sealed, StoreDocument, check_name, check_value, parse, render
from mcpgen.secrets.exporting import ExportFormat, render_env
from mcpgen.secrets.fs import atomic_write_private, ensure_private_dir, exclusive_lock
from mcpgen.secrets.keys import DefaultKeyProvider, KeyFile, KeyKind, KeyProvider, StoreKey, next_key

logger = logging.getLogger(__name__)

STORE_FILE = "secrets.enc"
AUDIT_FILE = "audit.log"
LOCK_FILE = "secrets.lock"
ROTATED_KEY_FILE = "secret.key.rotated"


class SecretSource(Protocol):
    """Read access to secrets by name: what config resolution and the runtime need."""

    def names(self) -> list[str]: ...

    def get(self, name: str) -> str | None: ...


@dataclass(frozen=True)
class KeyInfo:
    """Where the store key came from (no key material): for the CLI to tell the user."""

    kind: KeyKind
    source: str
    key_id: str
    kdf: Literal["none", "scrypt"]
    generated: bool = False
    key_file: Path | None = None


@dataclass(frozen=True)
class RestoreResult:
    """What :meth:`SecretStore.restore` did: the store now holds ``count`` secrets sealed with ``key``."""

    path: Path
    count: int
    key: KeyInfo
    replaced: bool
    """False when there was no store before."""


@dataclass(frozen=True)
class RotationResult:
    """What :meth:`SecretStore.rotate` did.

    ``new_key`` is set only when the old key came from ``MCPGEN_SECRET_KEY``:
    mcpgen cannot rewrite the environment, so the caller shows it once; it was
    also saved to ``pending_key_file`` (0600) before the store was rewritten,
    so a crash cannot lose it. ``old_key_removed`` is false when the old key
    is still in its key file or keyring: the file is shared
    (``MCPGEN_SECRET_KEY_FILE``, other stores may need that key) or it could
    not be rewritten (harmless: the store no longer uses it).
    """

    old_key_id: str
    new_key_id: str
    count: int
    key: KeyInfo
    new_key: SecretStr | None = field(default=None, repr=False)
    pending_key_file: Path | None = None
    old_key_removed: bool = True


class SecretStore:
    """Named secrets sealed with AES-256-GCM in ``<state_dir>/secrets.enc``; use :meth:`open`."""

    def __init__(
        self, path: Path, key: StoreKey, *, audit: AuditSink, scrypt: ScryptParams, created: bool = False
    ) -> None:
        self.path = path
        self.created = created
        self._key = key
        self._audit = audit
        self._scrypt = scrypt

    @classmethod
    def open(
        cls,
        state_dir: Path,
        *,
        environ: Mapping[str, str] | None = None,
        passphrase: Callable[[], str] | None = None,
        create: bool = True,
        keys: KeyProvider | None = None,
        audit: AuditSink | None = None,
        scrypt: ScryptParams = DEFAULT_SCRYPT,
    ) -> SecretStore:
        """Open (or, with ``create``, create) the store in ``state_dir``.

        ``environ`` is read for the key sources (nothing is read from
        ``os.environ`` unless the caller passes it); ``passphrase`` is asked
        only when a passphrase is needed. ``scrypt`` sets the cost for new
        passphrase keys. Raises :class:`SecretKeyError` when no key, or the
        wrong key, is available and :class:`SecretStoreError` for a missing,
        malformed or tampered file.
        """
        state_dir = Path(state_dir)
        path = state_dir / STORE_FILE
        provider = keys or DefaultKeyProvider(
            path, environ=environ if environ is not None else {}, passphrase=passphrase, scrypt=scrypt
        )
        sink = audit or JsonlAuditLog(state_dir / AUDIT_FILE)
        if not path.exists():
            if not create:
                raise SecretStoreError(f"there is no secret store at {path}", path=path)
            ensure_private_dir(state_dir)
            with exclusive_lock(state_dir / LOCK_FILE):
                if not path.exists():
                    with _audited(sink, "open"):
                        store = cls(path, provider.for_new(), audit=sink, scrypt=scrypt, created=True)
                        store._write(store._key, {})
                        return store
        with _audited(sink, "open"):
            doc = _read_document(path)
            key = provider.for_existing(doc.header)
            _verify_index(doc, key, path)
            store = cls(path, key, audit=sink, scrypt=scrypt)
            store._decrypt_all(doc)  # authenticate every entry now: a tampered file fails at open
        return store

    @property
    def key_info(self) -> KeyInfo:
        return _key_info(self._key)

    def names(self) -> list[str]:
        with _audited(self._audit, "list"):
            return sorted(self._read().entries)

    def get(self, name: str) -> str | None:
        check_name(name)
        with _audited(self._audit, "get", name):
            doc = self._read()
            return _decrypt(doc, self._key, name, self.path) if name in doc.entries else None

    def items(self) -> dict[str, str]:
        with _audited(self._audit, "list"):
            return self._decrypt_all(self._read())

    def set(self, name: str, value: str) -> None:
        self.set_many({name: value})

    def set_many(self, values: Mapping[str, str]) -> None:
        """Add or replace several secrets in one atomic write: all of them or none."""
        for name, value in values.items():
            check_name(name)
            check_value(name, value)
        with _audited(self._audit, "set", *sorted(values)), self._locked():
            current = self._decrypt_all(self._read())
            current.update(values)
            self._write(self._key, current)

    def remove(self, name: str) -> bool:
        """Delete ``name``; False when there was no such secret (nothing is written)."""
        check_name(name)
        with _audited(self._audit, "rm", name), self._locked():
            current = self._decrypt_all(self._read())
            if current.pop(name, None) is None:
                return False
            self._write(self._key, current)
            return True

    def export_env(self, *, format: ExportFormat = "dotenv") -> str:
        """All secrets as ``dotenv`` or ``shell`` assignments (see :mod:`mcpgen.secrets.exporting`)."""
        with _audited(self._audit, "export"):
            return render_env(self._decrypt_all(self._read()), format=format)

    def rotate(self, *, new_passphrase: str | None = None) -> RotationResult:
        """Re-encrypt every secret under a new key; a crash at any step loses nothing.

        With a key file or keyring: (1) add the new key beside the old one,
        (2) atomically replace the store, (3) drop the old key. The store always
        names a key that its holder has. With ``MCPGEN_SECRET_KEY``: the new key
        is first saved to ``secret.key.rotated``, then the store is replaced.
        With a passphrase: the store is replaced under a fresh salt (and the new
        passphrase, if given) in one step.
        """
        with _audited(self._audit, "rotate"), self._locked():
            values = self._decrypt_all(self._read())
            old = self._key
            new = next_key(old, new_passphrase=new_passphrase, params=self._scrypt)
            pending: Path | None = None
            if new.kdf.name == "none" and new.holder is not None:
                new.holder.save([*new.holder.load(), new.key])  # step 1
            elif new.kdf.name == "none":
                pending = self.path.parent / ROTATED_KEY_FILE
                KeyFile(pending).save([new.key])
            self._write(new, values)  # step 2
            self._key = new
            removed = old.holder is None
            if old.holder is not None and old.holder.exclusive:
                removed = _drop_key(old)  # step 3
            return RotationResult(
                old_key_id=old.kid,
                new_key_id=new.kid,
                count=len(values),
                key=_key_info(new),
                new_key=SecretStr(encode_key(new.key)) if pending is not None else None,
                pending_key_file=pending,
                old_key_removed=removed,
            )

    def backup(self) -> bytes:
        """The store, with every entry authenticated first, as a backup file's bytes.

        The values stay sealed under the store key (see :mod:`mcpgen.secrets.backup`).
        """
        with _audited(self._audit, "backup"), self._locked():
            data = self.path.read_bytes()
            doc = parse(data, self.path)
            self._check_kid(doc)
            _verify_index(doc, self._key, self.path)
            self._decrypt_all(doc)
            return wrap(data, key_id=self._key.kid, count=len(doc.entries))

    @classmethod
    def restore(
        cls,
        state_dir: Path,
        backup: bytes,
        *,
        source: Path,
        environ: Mapping[str, str] | None = None,
        passphrase: Callable[[], str] | None = None,
        keys: KeyProvider | None = None,
        audit: AuditSink | None = None,
    ) -> RestoreResult:
        """Replace the store in ``state_dir`` with the one in ``backup`` (read from ``source``).

        Everything is verified before anything is written: the checksum (a
        truncated or edited file), the key (one of the key sources must hold
        the backup's key: :class:`SecretKeyError` otherwise) and every entry.
        Then the store file is replaced atomically; on any error it is
        byte-identical to before.
        """
        state_dir = Path(state_dir)
        path = state_dir / STORE_FILE
        provider = keys or DefaultKeyProvider(path, environ=environ or {}, passphrase=passphrase)
        sink = audit or JsonlAuditLog(state_dir / AUDIT_FILE)
        with _audited(sink, "restore"):
            data = unwrap(backup, source)
            doc = parse(data, source)
            try:
                key = provider.for_existing(doc.header)
            except SecretKeyError as exc:
                raise SecretKeyError(
                    f"cannot restore from {source}: its key {doc.header.kid} is not available ({exc.message}); "
                    "the current store was not changed",
                    path=source,
                ) from None
            _verify_index(doc, key, source)
            restored = cls(path, key, audit=sink, scrypt=DEFAULT_SCRYPT)
            restored._decrypt_all(doc)
            ensure_private_dir(state_dir)
            with exclusive_lock(state_dir / LOCK_FILE):
                replaced = path.exists()
                try:
                    atomic_write_private(path, data)
                except OSError as exc:
                    raise SecretStoreError(
                        f"cannot write {path}: {exc.strerror or exc}; nothing was changed", path=path
                    ) from exc
        return RestoreResult(path=path, count=len(doc.entries), key=_key_info(key), replaced=replaced)

    # -- internals -------------------------------------------------------------------------------

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        return exclusive_lock(self.path.parent / LOCK_FILE)

    def _read(self) -> StoreDocument:
        doc = _read_document(self.path)
        self._check_kid(doc)
        _verify_index(doc, self._key, self.path)
        return doc

    def _check_kid(self, doc: StoreDocument) -> None:
        if doc.header.kid != self._key.kid:
            raise SecretKeyError(
                f"{self.path} is now encrypted with another key (rotated by another process?); "
                "open it again; nothing was changed",
                path=self.path,
            )

    def _decrypt_all(self, doc: StoreDocument) -> dict[str, str]:
        return {name: _decrypt(doc, self._key, name, self.path) for name in sorted(doc.entries)}

    def _write(self, key: StoreKey, values: Mapping[str, str]) -> None:
        header = Header(kid=key.kid, kdf=key.kdf)
        entries = {
            name: Sealed(*seal(key.key, value.encode("utf-8"), header.entry_aad(name)))
            for name, value in values.items()
        }
        index = json.dumps({"names": sorted(values)}).encode("utf-8")
        doc = StoreDocument(header=header, check=Sealed(*seal(key.key, index, header.aad())), entries=entries)
        try:
            atomic_write_private(self.path, render(doc))
        except OSError as exc:
            raise SecretStoreError(
                f"cannot write {self.path}: {exc.strerror or exc}; nothing was changed", path=self.path
            ) from exc


def _read_document(path: Path) -> StoreDocument:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SecretStoreError(f"there is no secret store at {path}", path=path) from None
    except OSError as exc:
        raise SecretStoreError(f"cannot read {path}: {exc.strerror}", path=path) from exc
    return parse(data, path)


def _verify_index(doc: StoreDocument, key: StoreKey, path: Path) -> None:
    """Authenticate the header and check that the entries are exactly those mcpgen wrote."""
    try:
        index = json.loads(unseal(key.key, doc.check.nonce, doc.check.ciphertext, doc.header.aad()))
    except AuthenticationFailed:
        raise _corrupted(path, "the header failed authentication") from None
    if sorted(doc.entries) != index.get("names"):
        added = sorted(set(doc.entries) - set(index.get("names", ())))
        missing = sorted(set(index.get("names", ())) - set(doc.entries))
        raise _corrupted(
            path,
            f"entries were added ({', '.join(added) or '-'}) or removed "
            f"({', '.join(missing) or '-'}) outside mcpgen",
        )


def _decrypt(doc: StoreDocument, key: StoreKey, name: str, path: Path) -> str:
    sealed = doc.entries[name]
    try:
        return unseal(key.key, sealed.nonce, sealed.ciphertext, doc.header.entry_aad(name)).decode("utf-8")
    except (AuthenticationFailed, UnicodeDecodeError):
        raise _corrupted(path, f"entry {name} failed authentication", name=name) from None


def _corrupted(path: Path, what: str, *, name: str | None = None) -> SecretStoreError:
    return SecretStoreError(
        f"{path} is corrupted or was modified: {what}; nothing was changed", path=path, name=name
    )


def _drop_key(old: StoreKey) -> bool:
    """Rotation step 3: remove the old key from its holder; a failure only leaves a spare key."""
    assert old.holder is not None
    try:
        old.holder.save([k for k in old.holder.load() if key_id(k) != old.kid])
    except (OSError, SecretStoreError) as exc:
        logger.warning("rotation finished but the old key is still in %s: %s", old.holder.description, exc)
        return False
    return True


def _key_info(key: StoreKey) -> KeyInfo:
    return KeyInfo(
        kind=key.kind,
        source=key.source,
        key_id=key.kid,
        kdf=key.kdf.name,
        generated=key.generated,
        key_file=key.holder.path if isinstance(key.holder, KeyFile) else None,
    )


@contextlib.contextmanager
def _audited(sink: AuditSink, operation: Operation, *names: str) -> Iterator[None]:
    """Record the access (one record per name) once it has succeeded or failed."""
    ok = False
    try:
        yield
        ok = True
    finally:
        for name in names or (None,):
            sink.record(operation, name, ok=ok)
