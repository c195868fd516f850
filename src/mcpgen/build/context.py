"""The build context: which workspace files go in (pure), then the folder and the tar stream (effects).

:func:`source_files` lists the files under the source folders, minus what
``.dockerignore``-style patterns exclude (:func:`is_ignored` is pure).
:func:`render_context` writes the plan's files plus the wheelhouse into a
fresh folder under ``.mcpgen/build/`` (written beside, then swapped in, so a
failure leaves no half context). :func:`context_hash` fingerprints a rendered
context without the build-time label, so an unchanged workspace hashes the
same. :func:`tar_context` streams it with fixed owners and mtimes.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from mcpgen.build.plan import (
    CONFIG_DIR,
    DOCKERIGNORE,
    SOURCE_DIRS,
    BuildPlan,
    FileFromText,
    FileFromWorkspace,
)

IGNORE_PATTERNS = tuple(
    line.strip() for line in DOCKERIGNORE.splitlines() if line.strip() and not line.startswith("#")
)
_CREATED_LABEL = re.compile(r'(org\.opencontainers\.image\.created=)"[^"]*"')


def is_ignored(path: str, patterns: Iterable[str] = IGNORE_PATTERNS) -> bool:
    """Whether a workspace-relative POSIX path matches an exclude pattern (``**/`` matches any depth)."""
    parts = PurePosixPath(path).parts
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        for i in range(len(parts)):
            # a pattern matches a path component (and so everything under it) or the whole tail
            if fnmatch.fnmatchcase(parts[i], bare) or fnmatch.fnmatchcase("/".join(parts[i:]), bare):
                return True
    return False


def source_files(root: Path) -> list[str]:
    """Workspace-relative POSIX paths of every file the image needs from the source folders."""
    found: list[str] = []
    for folder in SOURCE_DIRS:
        base = root / folder
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            rel_dir = Path(dirpath).relative_to(root).as_posix()
            dirnames[:] = sorted(d for d in dirnames if not is_ignored(f"{rel_dir}/{d}"))
            found.extend(f"{rel_dir}/{name}" for name in filenames if not is_ignored(f"{rel_dir}/{name}"))
    return sorted(found)


def config_files(root: Path) -> dict[str, str]:
    """``config/...`` path → text of the workspace's config files (YAML and JSON), if any."""
    base = root / CONFIG_DIR
    if not base.is_dir():
        return {}
    texts = {}
    for path in sorted(base.iterdir()):
        if path.is_file() and path.suffix in (".yaml", ".yml", ".json") and not is_ignored(path.name):
            texts[f"{CONFIG_DIR}/{path.name}"] = path.read_text(encoding="utf-8")
    return texts


def stable_dockerfile(text: str) -> str:
    """The Dockerfile without its build time (what the context hash covers)."""
    return _CREATED_LABEL.sub(r"\1-", text)


def render_context(
    plan: BuildPlan, root: Path, dest: Path, *, deps_wheels: Path | None, self_wheel: Path
) -> Path:
    """Write the context for ``plan`` into ``dest`` (replacing it); returns ``dest``."""
    staging = Path(
        tempfile.mkdtemp(prefix=dest.name + ".", dir=dest.parent if dest.parent.exists() else None)
    )
    try:
        for rel, source in plan.files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(source, FileFromWorkspace):
                shutil.copyfile(root / source.path, target)
            elif isinstance(source, FileFromText):
                target.write_text(source.text, encoding="utf-8")
        (staging / "wheels" / "mcpgen").mkdir(parents=True)
        shutil.copyfile(self_wheel, staging / "wheels" / "mcpgen" / self_wheel.name)
        if plan.offline:
            assert deps_wheels is not None
            (staging / "wheels" / "deps").mkdir(parents=True)
            for wheel in sorted(deps_wheels.glob("*.whl")):
                _link_or_copy(wheel, staging / "wheels" / "deps" / wheel.name)
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging.replace(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _walk(context: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(context):
        dirnames.sort()
        for name in sorted(filenames):
            yield Path(dirpath) / name


def context_hash(context: Path) -> str:
    """SHA-256 over every file's path and bytes (the Dockerfile without its build time)."""
    digest = hashlib.sha256()
    for path in _walk(context):
        rel = path.relative_to(context).as_posix()
        data = path.read_bytes()
        if rel == "Dockerfile":
            data = stable_dockerfile(data.decode()).encode()
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def tar_context(context: Path) -> IO[bytes]:
    """The context as an uncompressed tar (owner root, mtime 0, sorted), rewound, in a temp file."""
    out: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in _walk(context):
            info = tar.gettarinfo(str(path), arcname=path.relative_to(context).as_posix())
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            info.mode = 0o644
            with path.open("rb") as fh:
                tar.addfile(info, fh)
    out.seek(0)
    return out
