"""``mcpgen test``: run a workspace's tests with pytest and the mcpgen testing plugin.

pytest runs in a child process with the workspace as its working directory and
``MCPGEN_WORKSPACE`` set, so the plugin's fixtures (``mcp_server``, ``mcp_client``, …) serve that
workspace; the exit code is pytest's. The interpreter is :func:`test_python` — today this one
(where mcpgen is installed); a workspace environment, once mcpgen provisions one, goes there.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from mcpgen.errors import UsageError
from mcpgen.workflows.project import load_project

PLUGIN = "mcpgen.testing.plugin"


def test_python(root: Path) -> str:
    """The interpreter the workspace's tests run in (the seam for a per-workspace environment)."""
    del root  # one environment for now: the one mcpgen runs in
    return sys.executable


def _plugin_autoloaded(environ: Mapping[str, str]) -> bool:
    """True when pytest will load the plugin by its entry point (mcpgen installed, autoload on)."""
    if environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    return any(ep.value == PLUGIN for ep in importlib.metadata.entry_points(group="pytest11"))


def pytest_command(root: Path, args: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """``python -m pytest [-p mcpgen.testing.plugin] ARGS`` (no arguments: ``tests/``, if there is one)."""
    command = [test_python(root), "-m", "pytest"]
    if not _plugin_autoloaded(environ):
        command += ["-p", PLUGIN]
    if not args and (root / "tests").is_dir():
        return [*command, "tests"]
    return [*command, *args]


def run_tests(root: Path, args: Sequence[str] = (), *, environ: Mapping[str, str] | None = None) -> int:
    """Run the workspace's tests; returns pytest's exit code (0: passed, 1: failures, 5: none collected)."""
    root = load_project(root).root.resolve()
    if importlib.util.find_spec("pytest") is None:
        raise UsageError("pytest is not installed in this environment", hint='pip install "mcpgen[test]"')
    env = {**(os.environ if environ is None else environ), "MCPGEN_WORKSPACE": str(root)}
    return subprocess.run(pytest_command(root, args, env), cwd=root, env=env, check=False).returncode
