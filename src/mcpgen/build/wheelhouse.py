"""The offline wheelhouse: every wheel an image needs, fetched on the host.

Two parts:

* :func:`build_self_wheel` packs the *installed* mcpgen package (editable or
  not) into a ``py3-none-any`` wheel, byte-for-byte reproducible (fixed
  timestamps, sorted entries), so an unchanged mcpgen keeps its image layer.
* :func:`download_wheels` runs ``pip download --only-binary=:all:`` for the
  image's Python version and platform into a cache folder named by the hash of
  (requirements, Python, platform). A folder that is already complete is
  reused without touching the network; that is what makes repeated builds
  (and CI) fast and lets a machine prepare a wheelhouse once and build
  air-gapped afterwards.

Cache location: ``MCPGEN_CACHE_DIR`` or ``$XDG_CACHE_HOME/mcpgen`` (``~/.cache/mcpgen``).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from mcpgen.build.plan import PythonTarget, merge_requirements
from mcpgen.errors import ImageBuildError

_EPOCH = (1980, 1, 1, 0, 0, 0)
_COMPLETE = ".complete"


def cache_dir(environ: Mapping[str, str]) -> Path:
    if environ.get("MCPGEN_CACHE_DIR"):
        return Path(environ["MCPGEN_CACHE_DIR"])
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mcpgen"


def runtime_requirements() -> list[str]:
    """mcpgen's runtime set: its install requirements without any extra (the CLI is the ``cli`` extra)."""
    return merge_requirements(importlib.metadata.distribution("mcpgen").requires or [])


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def build_self_wheel(dest: Path) -> Path:
    """Write ``mcpgen-{version}-py3-none-any.whl`` into ``dest`` from the installed package."""
    import mcpgen

    dist = importlib.metadata.distribution("mcpgen")
    version = dist.version
    package = Path(mcpgen.__file__).resolve().parent
    entries: list[tuple[str, bytes]] = []
    for path in sorted(package.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
            continue
        entries.append((f"mcpgen/{path.relative_to(package).as_posix()}", path.read_bytes()))
    info = f"mcpgen-{version}.dist-info"
    metadata = dist.read_text("METADATA") or f"Metadata-Version: 2.1\nName: mcpgen\nVersion: {version}\n"
    entries.append((f"{info}/METADATA", metadata.encode()))
    entry_points = dist.read_text("entry_points.txt")
    if entry_points:
        entries.append((f"{info}/entry_points.txt", entry_points.encode()))
    wheel_meta = "Wheel-Version: 1.0\nGenerator: mcpgen\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    entries.append((f"{info}/WHEEL", wheel_meta.encode()))
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in entries)
    record += f"{info}/RECORD,,\n"
    entries.append((f"{info}/RECORD", record.encode()))
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / f"mcpgen-{version}-py3-none-any.whl"
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            item = zipfile.ZipInfo(name, date_time=_EPOCH)
            item.external_attr = 0o644 << 16
            item.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(item, data)
    tmp.replace(target)
    return target


def wheelhouse_key(requirements: Sequence[str], python: PythonTarget) -> str:
    text = "\n".join([python.version, python.machine, python.glibc, *sorted(requirements)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def pip_download_command(requirements_file: Path, dest: Path, python: PythonTarget) -> list[str]:
    cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet"]
    cmd += ["--only-binary=:all:", "--dest", str(dest), "--python-version", python.version]
    cmd += ["--implementation", "cp", "--abi", python.abi, "--abi", "abi3", "--abi", "none"]
    for platform in [*python.platforms(), "any"]:
        cmd += ["--platform", platform]
    cmd += ["-r", str(requirements_file)]
    return cmd


def download_wheels(
    requirements: Sequence[str],
    python: PythonTarget,
    *,
    cache: Path,
    on_line: Callable[[str], None] = lambda line: None,
) -> Path:
    """The folder holding every wheel ``requirements`` need on ``python``; downloaded once, then reused."""
    folder = cache / "wheelhouse" / wheelhouse_key(requirements, python)
    if (folder / _COMPLETE).is_file():
        on_line(f"wheelhouse: reusing {folder}")
        return folder
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    req_file = partial / "requirements.txt"
    req_file.write_text("".join(f"{r}\n" for r in requirements), encoding="utf-8")
    cmd = pip_download_command(req_file, partial, python)
    on_line(f"wheelhouse: pip download for Python {python.version} ({python.machine}) into {folder}")
    env = {**os.environ, "PIP_NO_INPUT": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        output = (proc.stdout + proc.stderr).strip()
        hint = (
            "a requirement has no wheel for this Python/platform: pin a version that ships wheels"
            if "No matching distribution" in output or "Could not find a version" in output
            else "check the network access to the package index (or pip's configuration)"
        )
        raise ImageBuildError(
            "downloading wheels for the offline build failed",
            step="Preparing wheelhouse",
            output="\n".join(output.splitlines()[-15:]),
            hint=hint,
        )
    (partial / _COMPLETE).write_text("\n".join(requirements) + "\n", encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    partial.replace(folder)
    return folder
