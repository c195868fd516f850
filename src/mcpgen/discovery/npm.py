"""npm dependencies of TS/JS tools: ``tools/package.json``, inline seed ``metadata.dependencies``,
the import check, the merge, and ``npm install`` into ``tools/node_modules``.

- ``read_package_json`` and ``check_imports`` are pure (file text in, diagnostics out): an import of a
  bare package that no package file declares is an ``undeclared-package`` error naming both the file
  and ``tools/package.json``.
- ``merge_npm`` consolidates ranges per package. Equal ranges merge; different ranges that intersect
  (npm's own ``semver.intersects``, run with the bundled npm) merge into the combined range, for which
  npm installs the highest satisfying version; ranges that cannot both hold are a
  ``dependency-conflict`` error naming both places.
- ``ensure_installed`` is the one effect: ``npm install`` in ``tools/`` when ``package.json`` changed
  since the last install (a stamp in ``tools/node_modules``), with npm's progress on stderr.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from mcpgen.common.nodejs import NodeNotFound, node_executable, npm_command
from mcpgen.discovery.diagnostics import Diagnostic, error

PACKAGE_JSON = "tools/package.json"
STAMP = ".mcpgen-install.json"
logger = logging.getLogger("mcpgen.discovery")

NODE_BUILTINS = frozenset(
    [
        "assert",
        "async_hooks",
        "buffer",
        "child_process",
        "cluster",
        "console",
        "constants",
        "crypto",
        "dgram",
        "diagnostics_channel",
        "dns",
        "domain",
        "events",
        "fs",
        "http",
        "http2",
        "https",
        "inspector",
        "module",
        "net",
        "os",
        "path",
        "perf_hooks",
        "process",
        "punycode",
        "querystring",
        "readline",
        "repl",
        "stream",
        "string_decoder",
        "sys",
        "timers",
        "tls",
        "trace_events",
        "tty",
        "url",
        "util",
        "v8",
        "vm",
        "wasi",
        "worker_threads",
        "zlib",
    ]
)
_IMPORT = re.compile(
    r"""(?:^|[\s;])(?:import\s+(?:type\s+)?(?:[\w*{}\s,$]+\s+from\s+)?|export\s+[\w*{}\s,$]+\s+from\s+)(['"])(?P<a>[^'"]+)\1"""
    r"""|\bimport\(\s*(['"])(?P<b>[^'"]+)\3\s*\)|\brequire\(\s*(['"])(?P<c>[^'"]+)\5\s*\)""",
    re.M,
)


@dataclass(frozen=True, slots=True)
class NpmDeclared:
    path: str
    package: str
    range: str
    line: int | None = None


@dataclass
class NpmMerge:
    dependencies: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def read_package_json(root: Path) -> tuple[list[NpmDeclared], list[Diagnostic]]:
    """The ``dependencies`` of ``tools/package.json`` (none when there is no such file)."""
    file = root / PACKAGE_JSON
    if not file.is_file():
        return [], []
    text = file.read_text(encoding="utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError as exc:
        return [], [
            error("invalid-metadata", f"not valid JSON: {exc}", PACKAGE_JSON, getattr(exc, "lineno", None))
        ]
    deps = data.get("dependencies") if isinstance(data, dict) else None
    if deps is None:
        return [], []
    if not isinstance(deps, dict):
        return [], [error("invalid-metadata", "'dependencies' must be an object", PACKAGE_JSON)]
    lines = text.splitlines()

    def line_of(name: str) -> int | None:
        needle = json.dumps(name)
        return next((n for n, line in enumerate(lines, start=1) if needle in line), None)

    return [NpmDeclared(PACKAGE_JSON, str(k), str(v), line_of(str(k))) for k, v in sorted(deps.items())], []


def package_of(specifier: str) -> str | None:
    """The npm package a bare import specifier names (``None`` for relative, builtin, URL imports)."""
    if specifier.startswith((".", "/", "node:", "file:", "data:", "http:", "https:", "#")):
        return None
    parts = specifier.split("/")
    name = "/".join(parts[:2]) if specifier.startswith("@") else parts[0]
    if name in NODE_BUILTINS:
        return None
    return name


def imports_of(text: str) -> list[tuple[str, int]]:
    """``(package, line)`` for every bare package the source imports or requires."""
    stripped = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    stripped = re.sub(r"(?m)//.*$", "", stripped)
    found: list[tuple[str, int]] = []
    for m in _IMPORT.finditer(stripped):
        spec = m.group("a") or m.group("b") or m.group("c")
        package = package_of(spec)
        if package is not None:
            found.append((package, stripped.count("\n", 0, m.start("a") if m.group("a") else m.start()) + 1))
    return found


def check_imports(path: str, text: str, declared: Iterable[str]) -> list[Diagnostic]:
    known = set(declared)
    problems = []
    for package, line in imports_of(text):
        if package not in known:
            message = (
                f'imports {package!r}, which {PACKAGE_JSON} does not declare; add it to "dependencies" '
                f"there (mcpgen installs it into tools/node_modules)"
            )
            problems.append(error("undeclared-package", message, path, line, package))
    return problems


def _intersects(a: str, b: str) -> bool | None:
    """npm's ``semver.intersects(a, b)``, using the semver module bundled with npm (``None``: unknown)."""
    try:
        cli = Path(npm_command()[1])
        semver = cli.parent.parent / "node_modules" / "semver"
        script = f"const s=require({json.dumps(str(semver))});console.log(s.intersects(process.argv[1],process.argv[2]))"
        proc = subprocess.run(
            [node_executable(), "-e", script, a, b], capture_output=True, text=True, timeout=20, check=False
        )
    except (NodeNotFound, OSError, subprocess.TimeoutExpired):
        return None
    answer = proc.stdout.strip()
    return True if answer == "true" else False if answer == "false" else None


def merge_npm(declared: Sequence[NpmDeclared]) -> NpmMerge:
    """One range per package; conflicts as diagnostics (see the module docstring)."""
    result = NpmMerge()
    first: dict[str, NpmDeclared] = {}
    for d in sorted(declared, key=lambda d: (d.package, d.path != PACKAGE_JSON, d.path)):
        seen = first.get(d.package)
        if seen is None:
            first[d.package] = d
            result.dependencies[d.package] = d.range
            continue
        current = result.dependencies[d.package]
        if d.range == seen.range or d.range in current.split(" "):
            continue
        ok = _intersects(current, d.range)
        if ok:
            result.dependencies[d.package] = f"{current} {d.range}"
            continue
        where = f"{seen.path}:{seen.line}" if seen.line else seen.path
        message = (
            f"npm package {d.package!r} is required as {d.range!r} here and as {seen.range!r} in {where}; "
            + ("no version satisfies both" if ok is False else "cannot check that one version satisfies both")
        )
        result.diagnostics.append(error("dependency-conflict", message, d.path, d.line, d.package))
    result.dependencies = dict(sorted(result.dependencies.items()))
    return result


def _digest(tools: Path) -> str:
    h = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        file = tools / name
        h.update(name.encode() + b"\0" + (file.read_bytes() if file.is_file() else b"") + b"\0")
    return h.hexdigest()


def install_needed(root: Path) -> bool:
    """True when ``tools/package.json`` declares dependencies not installed from its current text."""
    tools = root / "tools"
    declared, _ = read_package_json(root)
    if not declared:
        return False
    stamp = tools / "node_modules" / STAMP
    try:
        return bool(json.loads(stamp.read_text())["digest"] != _digest(tools))
    except (OSError, ValueError, KeyError, TypeError):
        return True


def ensure_installed(root: Path, *, progress: IO[str] | None = None, timeout: float = 600) -> bool:
    """``npm install`` in ``tools/`` when needed (progress on ``progress``, default stderr).

    Returns True when it ran. Raises ``RuntimeError`` with npm's output when the install fails.
    """
    if not install_needed(root):
        return False
    tools = root / "tools"
    out = progress or sys.stderr
    declared, _ = read_package_json(root)
    print(
        f"mcpgen: installing {len(declared)} npm package(s) from {PACKAGE_JSON} into tools/node_modules ...",
        file=out,
        flush=True,
    )
    command = [*npm_command(), "install", "--no-audit", "--no-fund", "--loglevel=warn", "--omit=dev"]
    proc = subprocess.run(command, cwd=tools, capture_output=True, text=True, timeout=timeout, check=False)
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        raise RuntimeError(f"npm install in {tools} failed (exit {proc.returncode}):\n{output[-4000:]}")
    for line in output.splitlines():
        if line.strip() and "Unknown user config" not in line:
            print(f"  npm: {line}", file=out, flush=True)
    stamp = tools / "node_modules" / STAMP
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"digest": _digest(tools)}))
    print("mcpgen: npm packages installed", file=out, flush=True)
    return True
