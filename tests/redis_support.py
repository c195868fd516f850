"""A throwaway redis-server for the tests (a pytest plugin, loaded by ``tests/conftest.py``).

The session fixture ``redis_url`` starts ``redis-server`` on ``127.0.0.1`` on a
free port (no persistence, no config file, its directory a fresh temporary
one) and yields ``redis://127.0.0.1:PORT/0``; the server is stopped (by its
PID) at the end, also when a test fails.

Without ``redis-server`` on PATH (Debian's ``redis-server`` package;
``scripts/provision-redis.sh`` installs it) the fixture skips, or fails when
``MCPGEN_REQUIRE_REDIS=1`` (set by ``.ci/run``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

from server_support import free_port, stop_process

REQUIRED = os.environ.get("MCPGEN_REQUIRE_REDIS", "") not in ("", "0")


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"MCPGEN_REQUIRE_REDIS is set but {reason} (run scripts/provision-redis.sh)")
    pytest.skip(f"Redis tests skipped: {reason} (run scripts/provision-redis.sh to enable them)")


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        _unavailable("redis-server is not installed")
    assert binary is not None
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="mcpgen-redis-") as directory:
        args = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
        args += ["--dir", directory, "--protected-mode", "yes"]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 20
            while not _answers(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    _unavailable(f"redis-server did not start on 127.0.0.1:{port}")
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            stop_process(proc)
