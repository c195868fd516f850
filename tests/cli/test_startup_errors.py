"""A server that cannot start says why in one line and exits non-zero, without a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TOOL = "from mcpgen import tool\n\n@tool\ndef ping() -> str:\n    '''Answer pong.'''\n    return 'pong'\n"


@pytest.fixture
def taken() -> Iterator[int]:
    """A port something else listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "ping.py").write_text(TOOL)
    return tmp_path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", ["serve", "dev"])
def test_a_taken_port_is_one_message(workspace: Path, taken: int, command: str) -> None:
    proc = run("-m", "mcpgen", command, str(workspace), "--port", str(taken))
    assert proc.returncode == 1, proc.stderr
    assert f"cannot listen on 127.0.0.1:{taken}: Address already in use" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "uvicorn" not in proc.stderr  # uvicorn's own start-up lines never appear: it never started
    assert "Application startup" not in proc.stderr


def test_the_runtime_entry_point_says_it_the_same_way(workspace: Path, taken: int) -> None:
    assert run("-m", "mcpgen", "generate", str(workspace)).returncode == 0
    manifest = workspace / ".mcpgen" / "manifest.json"
    proc = run(
        "-m", "mcpgen.runtime", "--manifest", str(manifest), "--root", str(workspace), "--port", str(taken)
    )
    assert proc.returncode == 1, proc.stderr
    assert f"mcpgen.runtime: error: cannot listen on 127.0.0.1:{taken}" in proc.stderr
    assert "Traceback" not in proc.stderr
