"""Private files: a 0700 state directory, atomic 0600 writes, permission checks, a write lock.

Every file the secret store writes is created with mode 0600 from the first
byte (``mkstemp`` opens it ``O_EXCL`` with 0600; we ``fchmod`` it to exactly
0600 in case the umask stripped a bit), filled, fsynced, renamed over the
target with :func:`os.replace`, and the directory is fsynced so the rename
survives a power cut. A crash at any point leaves either the old file or the
new one, never a mix; an abandoned temp file is private and harmless.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mcpgen.errors import SecretKeyError, SecretStoreError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) if missing; a directory we create gets mode 0700.

    An existing directory keeps its mode: ``.mcpgen/`` is shared with build
    state, and every secret file in it is 0600 on its own.
    """
    try:
        path.mkdir(mode=PRIVATE_DIR, parents=True)
    except FileExistsError:
        if not path.is_dir():
            raise SecretStoreError(f"{path} exists and is not a directory", path=path) from None
        return
    except OSError as exc:
        raise SecretStoreError(f"cannot create {path}: {exc.strerror}", path=path) from exc
    os.chmod(path, PRIVATE_DIR)


def atomic_write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically; the file is mode 0600 at every moment."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), PRIVATE_FILE)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_private(path: Path, what: str) -> None:
    """Refuse a key file that group or others may access, as ssh does for private keys."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise SecretKeyError(f"cannot read {what} {path}: {exc.strerror}", path=path) from exc
    if sys.platform != "win32" and stat.S_IMODE(mode) & 0o077:
        raise SecretKeyError(
            f"{what} {path} is accessible by other users (mode {stat.S_IMODE(mode):04o}); "
            f"it must be private: run `chmod 600 {path}`",
            path=path,
        )


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an advisory lock on ``path`` (created 0600) so concurrent writers take turns."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    except OSError as exc:
        raise SecretStoreError(f"cannot lock {path}: {exc.strerror or exc}", path=path) from exc
    try:
        if sys.platform != "win32":
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
