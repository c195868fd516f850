"""A workspace served by ``python -m mcpgen serve`` in a subprocess on a free 127.0.0.1 port.

Used by the commands that drive a real server from outside (``mcpgen conformance``,
``mcpgen loadtest``): the server runs in its own process, exactly as a user would
start it, so what is measured or judged is the real thing (and a load generator
does not share an event loop or a core with the server it loads).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from mcpgen.errors import McpgenError

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def serve_command(
    workspace: Path, port: int, *, env: str | None = None, overrides: Sequence[str] = ()
) -> list[str]:
    """``python -m mcpgen serve`` exactly as a user would run it, on 127.0.0.1:PORT."""
    cmd = [sys.executable, "-m", "mcpgen", "serve", str(workspace), "--host", LOOPBACK]
    cmd += ["--port", str(port)]
    if env is not None:
        cmd += ["--env", env]
    for override in overrides:
        cmd += ["--set", override]
    return cmd


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file ("" when it cannot be read)."""
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextmanager
def running_server(
    command: Callable[[int], list[str]],
    log: Path,
    *,
    ready_timeout: float,
    fail: Callable[[str], McpgenError],
    environ: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Start ``command(port)`` on a free port, wait for ``/health/ready``; yield the /mcp URL.

    The server's output goes to ``log``; ``fail(message)`` is raised (with the log's tail in the
    message) when it exits or is not ready in time. ``environ``: the child's environment (default: ours). The process is always stopped (SIGTERM, then
    SIGKILL after 15 s), by its own PID.
    """
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            command(port), stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environ
        )
    try:
        deadline = time.monotonic() + ready_timeout
        ready = f"http://{LOOPBACK}:{port}/health/ready"
        while True:
            if proc.poll() is not None:
                raise fail(f"the server exited with code {proc.returncode} before it was ready:\n{tail(log)}")
            try:
                with urllib.request.urlopen(ready, timeout=1) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise fail(f"the server was not ready within {ready_timeout:.0f}s:\n{tail(log)}")
            time.sleep(0.1)  # polling another process: nothing to await on
        yield f"http://{LOOPBACK}:{port}/mcp"
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
