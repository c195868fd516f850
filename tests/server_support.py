"""Shared by the tests that start real server processes on 127.0.0.1: a free port, readiness, shutdown."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Callable

import httpx2

# Ports for servers the tests start: below Linux's ephemeral range (32768-60999), so the kernel never hands
# one of them to an outgoing connection, and split into one slice per pytest-xdist worker, so two workers
# never pick the same port between choosing it and the server binding it.
_PORTS = range(15000, 32768)
_next_port: int | None = None


def _worker_slice() -> range:
    """This process's share of ``_PORTS`` (all of it without xdist)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    index = int(worker.removeprefix("gw")) if worker.startswith("gw") else 0
    size = len(_PORTS) // max(count, 1)
    start = _PORTS.start + (index % max(count, 1)) * size
    return range(start, start + size)


def free_port() -> int:
    """A port nothing listens on, taken in turn from this worker's slice (never the same one twice in a row).

    The walk starts at a random place, so two test runs on one machine rarely meet; a port that does not
    bind (another run or program holds it) is skipped.
    """
    global _next_port
    ports = _worker_slice()
    if _next_port is None or _next_port not in ports:
        _next_port = random.choice(ports)
    for _ in range(len(ports)):
        port, _next_port = _next_port, ports.start + (_next_port + 1 - ports.start) % len(ports)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def _poll_200(url: str, timeout: float, interval: float, check: Callable[[], None] = lambda: None) -> bool:
    """GET ``url`` every ``interval`` s until it answers 200 (True) or ``timeout`` s pass (False).

    One client for all the polls: a new one per request builds an SSL context, about 25 ms of CPU
    each, which on two busy cores slows down the very server being waited for. ``check`` runs before
    each poll (it raises to stop early).
    """
    deadline = time.monotonic() + timeout
    with httpx2.Client(timeout=0.5) as http:
        while time.monotonic() < deadline:
            check()
            try:
                if http.get(url).status_code == 200:
                    return True
            except httpx2.TransportError:
                pass
            time.sleep(interval)  # polling another process over HTTP: nothing to await on
    return False


def wait_ready(
    proc: subprocess.Popen[bytes],
    port: int,
    log: Callable[[], str],
    timeout: float = 30,
    path: str = "/health/ready",
) -> bool:
    """Poll ``path`` (``/health/ready``) until it answers 200 (True) or the time is up (False).

    Raises ``AssertionError`` with the process's log when it exits first.
    """

    def running() -> None:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}:\n{log()}")

    return _poll_200(f"http://127.0.0.1:{port}{path}", timeout, 0.05, running)


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
    return _poll_200(url, timeout, 0.1)
