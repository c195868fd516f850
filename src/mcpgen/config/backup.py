"""Back up and restore the ``config/`` folder of a workspace, with a manifest of SHA-256 hashes.

A backup is one JSON object::

    {"format": "mcpgen-config-backup", "version": 1, "created": "2026-12-04T16:20:00Z",
     "sha256": "<hash of the manifest>",
     "files": [{"path": "config.yaml", "sha256": "...", "size": 412, "content": "<base64>"}, ...]}

It holds every regular file under ``config/`` (hidden files and folders and
symlinks are skipped). Config is not encrypted: secrets belong in the secret
store and reach config through ``${VAR}``.

Restore verifies everything first (JSON, each file's hash, the manifest hash,
safe relative paths) and compares with the current folder:

* files missing locally are written; files with the same bytes are left alone;
* a file whose current bytes differ from the backup is a *local change*:
  without ``force`` the restore is refused and nothing is written;
* files that exist locally but not in the backup are kept (reported, never deleted).

Writing stages every file as a temp file beside its target, then renames
them into place one by one (each rename is atomic; the set is not).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from mcpgen.config.load import CONFIG_DIR
from mcpgen.errors import ConfigError

FORMAT = "mcpgen-config-backup"
VERSION = 1


@dataclass(frozen=True)
class ConfigBackup:
    """What :func:`backup_config` wrote into the backup."""

    data: bytes
    files: list[str]


@dataclass(frozen=True)
class ConfigRestore:
    """What :func:`restore_config` did (paths relative to ``config/``)."""

    written: list[str]
    unchanged: list[str]
    kept: list[str]
    """Local files that are not in the backup (left alone)."""
    overwritten: list[str]
    """Local changes replaced because of ``force``."""


def _files(folder: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or path.is_symlink() or not path.is_file():
            continue
        yield rel.as_posix(), path


def _manifest_hash(entries: list[tuple[str, str]]) -> str:
    return hashlib.sha256(json.dumps(sorted(entries)).encode("utf-8")).hexdigest()


def backup_config(root: Path) -> ConfigBackup:
    """The backup of ``root/config/`` (raises :class:`ConfigError` when there is no such folder)."""
    folder = root / CONFIG_DIR
    if not folder.is_dir():
        raise ConfigError(f"there is no {folder} folder to back up (run `mcpgen generate` first)")
    files: list[dict[str, Any]] = []
    hashes: list[tuple[str, str]] = []
    for rel, path in _files(folder):
        content = path.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        hashes.append((rel, digest))
        files.append(
            {
                "path": rel,
                "sha256": digest,
                "size": len(content),
                "content": base64.b64encode(content).decode(),
            }
        )
    body = {
        "format": FORMAT,
        "version": VERSION,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sha256": _manifest_hash(hashes),
        "files": files,
    }
    return ConfigBackup(data=(json.dumps(body, indent=2) + "\n").encode(), files=[rel for rel, _ in hashes])


def read_backup(data: bytes, source: Path) -> dict[str, bytes]:
    """The verified files of a config backup, by relative path; raises :class:`ConfigError` naming ``source``."""
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(source, f"not valid JSON, truncated or damaged ({exc})") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise _bad(source, f'"format" is not "{FORMAT}" (not an mcpgen config backup)')
    if body.get("version") != VERSION:
        raise _bad(source, f"format version {body.get('version')!r}; this mcpgen reads version {VERSION}")
    entries = body.get("files")
    if not isinstance(entries, list):
        raise _bad(source, '"files" is not a list')
    files: dict[str, bytes] = {}
    hashes: list[tuple[str, str]] = []
    for entry in entries:
        rel, content = _entry(entry, source)
        if rel in files:
            raise _bad(source, f"{rel} is listed twice")
        files[rel] = content
        hashes.append((rel, entry["sha256"]))
    if body.get("sha256") != _manifest_hash(hashes):
        raise _bad(source, "the manifest hash does not match (files were added, removed or renamed)")
    return files


def _entry(entry: Any, source: Path) -> tuple[str, bytes]:
    if not isinstance(entry, dict) or not all(
        isinstance(entry.get(k), str) for k in ("path", "sha256", "content")
    ):
        raise _bad(source, 'a "files" entry lacks path, sha256 or content')
    rel = entry["path"]
    parts = PurePosixPath(rel).parts
    if (
        not parts
        or PurePosixPath(rel).is_absolute()
        or any(p in ("..", ".") or p.startswith(".") for p in parts)
    ):
        raise _bad(source, f"unsafe path {rel!r}")
    try:
        content = base64.b64decode(entry["content"], validate=True)
    except (binascii.Error, ValueError):
        raise _bad(source, f"the content of {rel} is not base64") from None
    if hashlib.sha256(content).hexdigest() != entry["sha256"]:
        raise _bad(source, f"{rel} does not match its hash (the file was modified or damaged)")
    return rel, content


def restore_config(root: Path, data: bytes, *, source: Path, force: bool = False) -> ConfigRestore:
    """Restore ``root/config/`` from a backup (see the module docstring for the rules)."""
    files = read_backup(data, source)
    folder = root / CONFIG_DIR
    current = dict(_files(folder)) if folder.is_dir() else {}
    written, unchanged, overwritten = [], [], []
    for rel, content in sorted(files.items()):
        target = folder / rel
        if rel not in current and target.exists():
            raise _bad(source, f"{target} exists and is not a regular file")
        if rel not in current:
            written.append(rel)
        elif current[rel].read_bytes() == content:
            unchanged.append(rel)
        else:
            overwritten.append(rel)
    if overwritten and not force:
        raise ConfigError(
            f"not restoring {source}: these files in {folder} differ from the backup: "
            f"{', '.join(overwritten)}; nothing was changed (pass --force to replace them)"
        )
    _replace(folder, {rel: files[rel] for rel in written + overwritten})
    kept = sorted(set(current) - set(files))
    return ConfigRestore(
        written=sorted(written + overwritten), unchanged=unchanged, kept=kept, overwritten=overwritten
    )


def _replace(folder: Path, files: dict[str, bytes]) -> None:
    """Stage every file as a temp file beside its target, then rename each into place."""
    staged: list[tuple[str, Path]] = []
    try:
        for rel, content in sorted(files.items()):
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            staged.append((tmp, target))
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
        for tmp, target in staged:
            os.replace(tmp, target)
    except OSError as exc:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise ConfigError(f"cannot write into {folder}: {exc.strerror or exc}") from exc


def _bad(source: Path, what: str) -> ConfigError:
    return ConfigError(f"cannot restore from {source}: {what}; nothing was changed")
