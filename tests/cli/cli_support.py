"""Helpers to run the real `mcpgen` command as a subprocess on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from server_support import free_port, stop_process, wait_ready

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "workspaces"


@dataclass
class Cli:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def mcp_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)  # polling a subprocess's log file: nothing to await on
        raise AssertionError(f"{text!r} not logged within {timeout}s:\n{self.log()}")

    def stop(self) -> int:
        return stop_process(self.proc)


def start_cli(tmp_path: Path, *args: str) -> Cli:
    """Start `mcpgen ARGS --port P` and wait (bounded) until /health/ready answers."""
    port = free_port()
    log_path = tmp_path / f"mcpgen-{port}.log"
    cmd = [sys.executable, "-m", "mcpgen", *args, "--port", str(port)]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    cli = Cli(proc, port, log_path)
    if wait_ready(proc, port, cli.log):
        return cli
    cli.stop()
    raise AssertionError(f"mcpgen did not become ready:\n{cli.log()}")


def start_cli_expect_exit(tmp_path: Path, *args: str) -> str:
    """Run `mcpgen ARGS --port P`, expect it to exit non-zero before serving; return its output."""
    port = free_port()
    proc = subprocess.run(
        [sys.executable, "-m", "mcpgen", *args, "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr
