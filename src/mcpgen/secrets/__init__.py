"""The encrypted secret store: credentials for a workspace, sealed in ``.mcpgen/secrets.enc``.

Design
======

**Files** (all in the state directory, ``.mcpgen/``, created 0700; every file 0600):

``secrets.enc``
    The store (format in :mod:`mcpgen.secrets.document`): a JSON header
    (format version, cipher, the key id, the KDF: ``none`` or ``scrypt`` with
    its salt and cost), a sealed *index*, and ``entries: {NAME: {nonce,
    ciphertext}}``.
``secret.key``
    The default key file (URL-safe base64 keys, one a line, ``#`` comments).
``audit.log``
    One JSON line per access: time (UTC), operation, name, ok, pid, process,
    user; never a value (:mod:`mcpgen.secrets.audit`).
``secrets.lock``
    An empty file writers ``flock`` so concurrent ``set`` calls take turns.
``secret.key.rotated``
    Only after rotating a store keyed by ``MCPGEN_SECRET_KEY``: the new key,
    until the user has moved it into the environment and deleted the file.

**Cryptography** (:mod:`mcpgen.secrets.crypto`). AES-256-GCM with a fresh
random 96-bit nonce for every value on every write. Each entry's associated
data is ``key id + name``, so ciphertext moved to another name (or another
store) fails authentication. The index is the sorted list of names, sealed
with the canonical header as associated data: it authenticates the header
(an edited KDF, salt or key id is caught) and detects entries added or
removed by hand. The key id is a 64-bit SHA-256 fingerprint of the key, which
tells a *wrong key* (its id differs: :class:`~mcpgen.errors.SecretKeyError`)
from a *modified file* (the id matches but something fails to authenticate:
:class:`~mcpgen.errors.SecretStoreError`) before any entry is decrypted.
Passphrases are stretched with scrypt (n=2**15, r=8, p=1 by default; the salt
and cost live in the header; parameters needing over 256 MiB are refused).

**Keys** (:mod:`mcpgen.secrets.keys`). A :class:`KeyProvider` resolves the
key; :class:`DefaultKeyProvider` reads, in order, ``MCPGEN_SECRET_KEY``
(a base64 32-byte key, otherwise a passphrase), the key file
(``MCPGEN_SECRET_KEY_FILE`` or ``.mcpgen/secret.key``; refused if group or
others can read it), the OS keyring (service ``mcpgen``, username the
absolute store path; skipped when ``keyring`` has no usable backend, e.g. the
``fail`` one), then ``MCPGEN_SECRET_PASSPHRASE`` or the passphrase callback
(asked only to open an existing passphrase store, never to create one).
For an existing store the header decides between raw-key and passphrase
sources. A new store with no source gets a random key in ``.mcpgen/secret.key``
(``store.key_info.generated`` is true: tell the user to back it up). The
environment is passed in (``environ=``), never read from ``os.environ`` here.

**Writes** (:mod:`mcpgen.secrets.fs`). Read, authenticate *every* entry,
change, seal, then temp file (0600 from creation) + fsync + ``os.replace`` +
directory fsync. Any failure (wrong key, tampering, a full disk) leaves
``secrets.enc`` byte-identical. ``set_many`` is one write.

**Rotation.** A key file or keyring may hold several keys, and the store
header names the one it uses: (1) add the new key beside the old one, (2)
replace the store re-encrypted under the new key, (3) drop the old key. A
crash after any step leaves a store whose key is in the holder. Keys from
``MCPGEN_SECRET_KEY`` cannot be written back: the new key is saved to
``secret.key.rotated`` *before* the store is replaced and is returned in
:attr:`RotationResult.new_key` for the CLI to show once. Passphrase stores
are re-sealed under a fresh salt (and the new passphrase, if any) in one write.

**Not covered.** Rolling the whole file back to an older copy (that needs
state outside the file), and an attacker who can read the key file.

Masking (:func:`mask`): values longer than 8 characters show their first and
last two characters, shorter ones nothing.
"""

from mcpgen.common.masking import mask
from mcpgen.secrets.audit import AuditSink, JsonlAuditLog, NullAuditLog
from mcpgen.secrets.crypto import ScryptParams
from mcpgen.secrets.keyring_backend import KeyringBackend, NoKeyring, SystemKeyring
from mcpgen.secrets.keys import DefaultKeyProvider, KeyProvider, StoreKey
from mcpgen.secrets.store import KeyInfo, RestoreResult, RotationResult, SecretSource, SecretStore

__all__ = [
    "AuditSink",
    "DefaultKeyProvider",
    "JsonlAuditLog",
    "KeyInfo",
    "KeyProvider",
    "KeyringBackend",
    "NoKeyring",
    "NullAuditLog",
    "RestoreResult",
    "RotationResult",
    "ScryptParams",
    "SecretSource",
    "SecretStore",
    "StoreKey",
    "SystemKeyring",
    "mask",
]
