"""A server that cannot start says why in one line and exits non-zero, without a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", ["serve", "dev"])
def test_a_taken_port_is_one_message(ping_workspace: Path, taken_port: int, command: str) -> None:
    proc = run("-m", "mcpgen", command, str(ping_workspace), "--port", str(taken_port))
    assert proc.returncode == 1, proc.stderr
    assert f"cannot listen on 127.0.0.1:{taken_port}: Address already in use" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "uvicorn" not in proc.stderr  # uvicorn's own start-up lines never appear: it never started
    assert "Application startup" not in proc.stderr


def test_the_runtime_entry_point_says_it_the_same_way(ping_workspace: Path, taken_port: int) -> None:
    assert run("-m", "mcpgen", "generate", str(ping_workspace)).returncode == 0
    manifest = ping_workspace / ".mcpgen" / "manifest.json"
    proc = run(
        "-m",
        "mcpgen.runtime",
        "--manifest",
        str(manifest),
        "--root",
        str(ping_workspace),
        "--port",
        str(taken_port),
    )
    assert proc.returncode == 1, proc.stderr
    assert f"mcpgen.runtime: error: cannot listen on 127.0.0.1:{taken_port}" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_invalid_manifest_is_one_message(ping_workspace: Path, tmp_path: Path) -> None:
    bad = tmp_path / "manifest.json"
    bad.write_text('{"manifestVersion": 1, "tools": "not a list"}')
    for args in (
        ["-m", "mcpgen", "serve", "--manifest", str(bad), str(ping_workspace)],
        ["-m", "mcpgen.runtime", "--manifest", str(bad), "--root", str(ping_workspace)],
    ):
        proc = run(*args)
        assert proc.returncode == 1, proc.stderr
        assert f"error: manifest {bad} is invalid at " in proc.stderr
        assert "Traceback" not in proc.stderr
