"""Shared by the tests that start real server processes on 127.0.0.1: a free port, readiness, shutdown."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Callable

import httpx2


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(proc: subprocess.Popen[bytes], port: int, log: Callable[[], str], timeout: float = 30) -> bool:
    """Poll ``/health/ready`` until it answers 200 (True) or the time is up (False).

    Raises ``AssertionError`` with the process's log when it exits first.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}:\n{log()}")
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/health/ready", timeout=0.5).status_code == 200:
                return True
        except httpx2.TransportError:
            pass
        time.sleep(0.05)  # polling a subprocess: nothing to await on
    return False


def stop_process(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM (the graceful path), then SIGKILL after 15 s; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    return proc.returncode


def wait_http_ready(url: str, timeout: float = 30) -> bool:
    """Poll ``url`` until it answers 200 (True) or the time is up (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx2.get(url, timeout=0.5).status_code == 200:
                return True
        except httpx2.TransportError:
            pass
        time.sleep(0.1)  # polling a container over HTTP: nothing to await on
    return False
