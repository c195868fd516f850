"""Derive a tool's input JSON Schema from its TypeScript handler parameter type (discovery time only).

Seed-format TypeScript tools often declare no ``inputSchema`` and type their
input instead (``async function handler(input: WeatherInput)``). This module
finds the named parameter type of each handler in the file text and runs
``ts-json-schema-generator`` (pinned, :data:`GENERATOR`) on it. The generator
is installed with npm on first use into ``$MCPGEN_CACHE_DIR`` (default
``$XDG_CACHE_HOME/mcpgen`` or ``~/.cache/mcpgen``), ``node-tools/``, with
progress on stderr. When it cannot be installed or the parameter has no named
type, the caller falls back to ``{"type": "object"}`` with a warning.
Nothing here runs in the server.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from mcpgen.common.nodejs import NodeNotFound, node_command, npm_command

GENERATOR = "ts-json-schema-generator@2.9.0"
_lock = threading.Lock()
_install_error: str | None = None
_PARAM = re.compile(
    r"(?:\bfunction\b\s*\*?\s*[\w$]*\s*|\bhandler\s*[:=]\s*(?:async\s+)?(?:function\s*[\w$]*\s*)?|"
    r"\bhandler\s*|\basync\s+handler\s*)\(\s*[\w$]+\s*\??\s*:\s*(?P<type>[A-Za-z_$][\w$.]*)\s*[,)=]"
)
_PRIMITIVES = frozenset({"any", "unknown", "object", "string", "number", "boolean", "Record"})


def cache_dir() -> Path:
    base = os.environ.get("MCPGEN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "mcpgen"
    )
    return Path(base) / "node-tools" / GENERATOR.replace("@", "-")


def _cli(prefix: Path) -> Path:
    return prefix / "node_modules" / "ts-json-schema-generator" / "dist" / "ts-json-schema-generator.js"


def ensure_generator() -> Path | None:
    """The generator's CLI script, installing it on first use; ``None`` (and why) when that fails."""
    global _install_error
    prefix = cache_dir()
    with _lock:
        if _cli(prefix).is_file():
            return _cli(prefix)
        if _install_error is not None:
            return None
        print(
            f"mcpgen: installing {GENERATOR} into {prefix} (first use; derives schemas from TS types) ...",
            file=sys.stderr,
            flush=True,
        )
        try:
            prefix.mkdir(parents=True, exist_ok=True)
            proc = subprocess.run(
                [
                    *npm_command(),
                    "install",
                    "--prefix",
                    str(prefix),
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    GENERATOR,
                ],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        except (NodeNotFound, OSError, subprocess.TimeoutExpired) as exc:
            _install_error = f"cannot install {GENERATOR}: {exc}"
            return None
        if proc.returncode != 0 or not _cli(prefix).is_file():
            _install_error = f"cannot install {GENERATOR}: {(proc.stderr or proc.stdout).strip()[-500:]}"
            print(f"mcpgen: {_install_error}", file=sys.stderr, flush=True)
            return None
        print(f"mcpgen: installed {GENERATOR}", file=sys.stderr, flush=True)
        return _cli(prefix)


def parameter_types(text: str) -> list[str]:
    """The named type of each handler's first parameter, in file order."""
    return [m.group("type") for m in _PARAM.finditer(text) if m.group("type") not in _PRIMITIVES]


def _clean(schema: dict[str, Any]) -> dict[str, Any]:
    schema.pop("$schema", None)
    if schema.get("definitions") == {}:
        schema.pop("definitions")
    return schema


def derive_schema(file: Path, text: str, index: int) -> tuple[dict[str, Any] | None, str | None]:
    """The JSON Schema of the ``index``-th handler's parameter type in ``file``, or ``(None, why)``."""
    if file.suffix not in (".ts", ".mts"):
        return None, "JavaScript has no parameter types"
    types = parameter_types(text)
    if not types:
        return None, "the handler parameter has no named TypeScript type"
    name = types[index] if index < len(types) else types[0]
    cli = ensure_generator()
    if cli is None:
        return None, _install_error or f"{GENERATOR} is not available"
    try:
        proc = subprocess.run(
            node_command(
                str(cli),
                "--path",
                str(file),
                "--type",
                name,
                "--no-type-check",
                "--expose",
                "all",
                "--no-top-ref",
            ),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=file.parent,
        )
    except (NodeNotFound, OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{GENERATOR} failed: {exc}"
    if proc.returncode != 0:
        first = next((ln for ln in proc.stderr.splitlines() if ln.strip()), "unknown error")
        return None, f"{GENERATOR} could not convert type {name!r}: {first.strip()}"
    try:
        schema = json.loads(proc.stdout)
    except ValueError:
        return None, f"{GENERATOR} printed no JSON for type {name!r}"
    return (_clean(schema), None) if isinstance(schema, dict) else (None, "not an object schema")
