"""``mcpgen secrets backup|restore`` and ``mcpgen config backup|restore``: files in, files out.

The formats and the verification live in :mod:`mcpgen.secrets.backup` (with
:meth:`~mcpgen.secrets.SecretStore.restore`) and :mod:`mcpgen.config.backup`;
this module reads and writes the backup files. A backup file is written
atomically with mode 0600 and never replaces an existing file unless ``force``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from mcpgen.config.backup import ConfigRestore, backup_config, restore_config
from mcpgen.errors import McpgenError, UsageError
from mcpgen.secrets import RestoreResult, SecretStore
from mcpgen.secrets.fs import atomic_write_private
from mcpgen.workflows.credentials import open_store, store_path
from mcpgen.workflows.project import load_project


@dataclass(frozen=True)
class Written:
    path: Path
    count: int
    """Secrets or config files in the backup."""


def _write(target: Path, data: bytes, *, force: bool) -> None:
    if target.exists() and not force:
        raise UsageError(f"{target} exists; choose another file or pass --force to replace it")
    if not target.parent.is_dir():
        raise UsageError(f"{target.parent} is not a folder")
    try:
        atomic_write_private(target, data)
    except OSError as exc:
        raise McpgenError(f"cannot write {target}: {exc.strerror or exc}") from exc


def _read(source: Path) -> bytes:
    try:
        return source.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror or exc}") from exc


def backup_secrets(
    root: Path,
    target: Path,
    *,
    environ: Mapping[str, str],
    passphrase: Callable[[], str] | None = None,
    force: bool = False,
) -> Written:
    """Write the workspace's secret store (still encrypted under its key) to ``target``."""
    store = open_store(root, environ=environ, passphrase=passphrase, create=False)
    _write(target, store.backup(), force=force)
    return Written(target, len(store.names()))


def restore_secrets(
    root: Path,
    source: Path,
    *,
    environ: Mapping[str, str],
    passphrase: Callable[[], str] | None = None,
) -> RestoreResult:
    """Replace the workspace's secret store with the verified backup in ``source``."""
    return SecretStore.restore(
        store_path(root).parent, _read(source), source=source, environ=environ, passphrase=passphrase
    )


def backup_config_folder(root: Path, target: Path, *, force: bool = False) -> Written:
    """Write ``config/`` of the workspace to ``target``."""
    backup = backup_config(load_project(root).root)
    _write(target, backup.data, force=force)
    return Written(target, len(backup.files))


def restore_config_folder(root: Path, source: Path, *, force: bool = False) -> ConfigRestore:
    """Restore ``config/`` of the workspace from the verified backup in ``source``."""
    return restore_config(load_project(root).root, _read(source), source=source, force=force)
