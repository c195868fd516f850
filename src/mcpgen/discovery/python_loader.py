"""Load Python modules in worker subprocesses (the generator never imports user code).

A :class:`Worker` is one ``python -P -m mcpgen.discovery.worker ROOT`` process
that imports files one at a time (see :mod:`.worker` for the protocol). Up to
``workers`` lanes run in parallel, each keeping its worker alive across many
files. A file that hangs past ``timeout`` or kills its worker becomes a
diagnostic; the lane kills (and reaps) that worker and starts a fresh one for
the files that remain. Every worker is killed and reaped before
:func:`load_python` returns, also on an exception or ``KeyboardInterrupt``.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mcpgen.common.processes import describe_exit
from mcpgen.discovery.describe import python_tool_entry
from mcpgen.discovery.diagnostics import Diagnostic, error
from mcpgen.discovery.entries import checked_connectors
from mcpgen.manifest import ConnectorEntry, PromptEntry, ResourceEntry, ToolEntry

WORKER_MODULE = "mcpgen.discovery.worker"
STARTUP_TIMEOUT = 30.0
DETAIL_CHARS = 2000
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')


@dataclass
class ModuleResult:
    """What loading one module produced: entries, seed schema versions, diagnostics."""

    path: str
    tools: list[ToolEntry] = field(default_factory=list)
    resources: list[ResourceEntry] = field(default_factory=list)
    prompts: list[PromptEntry] = field(default_factory=list)
    connectors: list[ConnectorEntry] = field(default_factory=list)
    seed_versions: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    """Tool name → (``schemaVersion``, its line) for seed-format modules."""
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True)
class _Reply:
    message: dict[str, Any]


@dataclass(frozen=True)
class _Timeout:
    line: int | None


@dataclass(frozen=True)
class _Crash:
    status: int | None
    line: int | None
    via_exit: bool


_Answer = _Reply | _Timeout | _Crash


class WorkerStartError(Exception):
    """The worker process could not start (an environment problem, not user code)."""


class Worker:
    """One discovery worker subprocess."""

    def __init__(self, root: Path, *, startup_timeout: float = STARTUP_TIMEOUT) -> None:
        self.root = root.resolve()
        # O_APPEND: the worker's writes always land at the end, whatever the parent reads meanwhile.
        self._stderr = tempfile.TemporaryFile(mode="a+b")  # noqa: SIM115 - closed by kill()
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._lock = threading.Lock()
        self._done = False
        self.proc = subprocess.Popen(
            [sys.executable, "-P", "-m", WORKER_MODULE, str(self.root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=self.root,
            start_new_session=True,
        )
        self._reader = threading.Thread(
            target=self._read, name=f"discovery-reader-{self.proc.pid}", daemon=True
        )
        self._reader.start()
        try:
            ready = json.loads(self._lines.get(timeout=startup_timeout) or b"{}").get("ready")
        except (queue.Empty, ValueError, AttributeError):
            ready = False
        if not ready:
            output = self.stderr_since(0) or "no output"
            self.kill()
            raise WorkerStartError(f"the discovery worker did not start: {output}")

    def _read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        for line in stdout:
            self._lines.put(line)
        self._lines.put(None)

    def stderr_since(self, offset: int, limit: int | None = DETAIL_CHARS) -> str:
        """What the worker wrote to stderr from byte ``offset`` on (the last ``limit`` characters)."""
        try:
            fd = self._stderr.fileno()
            size = os.fstat(fd).st_size
            text = os.pread(fd, max(0, size - offset), offset).decode("utf-8", errors="replace")
        except (OSError, ValueError):
            return ""
        return (text[-limit:] if limit is not None else text).strip()

    def _stderr_size(self) -> int:
        return os.fstat(self._stderr.fileno()).st_size

    def ask(self, rel: str, timeout: float) -> tuple[_Answer, str]:
        """Import ``rel`` in the worker; the answer and the stderr it produced meanwhile."""
        offset = self._stderr_size()
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps({"path": rel}).encode() + b"\n")
            stdin.flush()
        except OSError:
            return self._crashed(None, None, via_exit=False), self.stderr_since(offset)
        try:
            raw = self._lines.get(timeout=timeout)
        except queue.Empty:
            return _Timeout(self._where_stuck(rel, offset)), self.stderr_since(offset)
        if raw is None:
            crash = self._crashed(None, None, via_exit=False)
            line = _last_frame(self.stderr_since(offset, limit=None), self.root / rel)
            return _Crash(crash.status, line, False), self.stderr_since(offset)
        try:
            message: dict[str, Any] = json.loads(raw)
        except ValueError:
            message = {}
        if message.get("path") != rel:  # unreadable or out-of-step reply: this worker is not trusted
            output = self.stderr_since(offset)
            self.kill()
            return _Crash(self.proc.returncode, None, False), output
        if message.get("event") == "exit":
            return self._crashed(message.get("status"), message.get("line"), True), self.stderr_since(offset)
        return _Reply(message), self.stderr_since(offset)

    def _crashed(self, status: int | None, line: int | None, via_exit: bool) -> _Crash:
        """The worker is going away: wait for its exit status (the lane kills and reaps it)."""
        try:
            code: int | None = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        return _Crash(status if status is not None else code, line, via_exit)

    def _where_stuck(self, rel: str, offset: int) -> int | None:
        """Ask faulthandler (SIGUSR1) for the worker's stack; the line it is stuck on in ``rel``."""
        sigusr1 = getattr(signal, "SIGUSR1", None)
        if sigusr1 is None or self.proc.poll() is not None:
            return None
        try:
            os.kill(self.proc.pid, sigusr1)
        except OSError:
            return None
        deadline = time.monotonic() + 1.0
        target = self.root / rel
        while time.monotonic() < deadline:
            line = _last_frame(self.stderr_since(offset, limit=None), target)
            if line is not None:
                return line
            time.sleep(0.02)
        return None

    def kill(self) -> None:
        """Kill the worker (and any processes it started) and reap it. Safe to call twice."""
        with self._lock:
            if self._done:
                return
            self._done = True
        if self.proc.poll() is None:
            try:
                if hasattr(os, "killpg"):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                else:  # pragma: no cover - Windows
                    self.proc.kill()
            except (ProcessLookupError, PermissionError):
                pass
        self.proc.wait()
        self._cleanup()

    def close(self) -> None:
        """Ask the worker to finish (EOF on stdin); kill it if it does not."""
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self.kill()

    def _cleanup(self) -> None:
        self._reader.join(timeout=5)  # the process is gone: its stdout reaches EOF
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._stderr.close()


def _last_frame(text: str, target: Path) -> int | None:
    """The line of ``target`` in a faulthandler dump (most recent call first)."""
    for match in _FRAME.finditer(text):
        try:
            if os.path.samefile(match.group("file"), target):
                return int(match.group("line"))
        except OSError:
            continue
    return None


def _detail(text: str) -> str | None:
    return text or None


def to_result(rel: str, answer: _Answer, output: str, timeout: float) -> ModuleResult:
    """Turn a worker answer into entries or diagnostics for ``rel`` (pure)."""
    result = ModuleResult(rel)
    if isinstance(answer, _Timeout):
        message = f"importing took longer than {timeout:g}s; the worker was killed"
        result.diagnostics.append(error("timeout", message, rel, answer.line, detail=_detail(output)))
        return result
    if isinstance(answer, _Crash):
        if answer.via_exit:
            message = f"os._exit({answer.status}) called while importing ended the worker"
        else:
            message = (
                f"the import worker died with {describe_exit(answer.status)} while importing this module"
            )
        result.diagnostics.append(error("worker-crash", message, rel, answer.line, detail=_detail(output)))
        return result
    msg = answer.message
    if not msg.get("ok"):
        result.diagnostics.append(
            error(str(msg.get("code")), str(msg.get("message")), rel, msg.get("line"), detail=_detail(output))
        )
        return result
    try:
        for spec in msg.get("tools", []):
            entry, problems = python_tool_entry(spec, rel)
            result.tools += [entry] if entry is not None else []
            result.diagnostics += problems
        result.resources = [ResourceEntry.model_validate(r) for r in msg.get("resources", [])]
        result.prompts = [PromptEntry.model_validate(p) for p in msg.get("prompts", [])]
        connectors = [ConnectorEntry.model_validate(c) for c in msg.get("connectors", [])]
    except (ValidationError, KeyError) as exc:
        result.tools, result.resources, result.prompts, result.connectors = [], [], [], []
        result.diagnostics = [error("definition-error", f"cannot describe this module: {exc}", rel)]
        return result
    result.connectors, problems = checked_connectors(connectors)
    result.diagnostics += problems
    built = {t.name for t in result.tools}
    result.seed_versions = {
        str(name): (str(seed.get("version")), seed.get("line"))
        for name, seed in msg.get("seedVersions", {}).items()
        if name in built
    }
    return result


class _Pool:
    """Tracks every live worker so that one call can kill them all."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._live: set[Worker] = set()
        self.stopped = threading.Event()
        self.start_error: str | None = None

    def start(self) -> Worker | None:
        if self.stopped.is_set() or self.start_error is not None:
            return None
        try:
            worker = Worker(self.root)
        except (WorkerStartError, OSError) as exc:
            self.start_error = str(exc)
            return None
        with self._lock:
            self._live.add(worker)
            if self.stopped.is_set():  # stopped while starting
                self._live.discard(worker)
                worker.kill()
                return None
        return worker

    def retire(self, worker: Worker, *, kill: bool) -> None:
        with self._lock:
            self._live.discard(worker)
        if kill:
            worker.kill()
        else:
            worker.close()

    def shutdown(self) -> None:
        self.stopped.set()
        with self._lock:
            live, self._live = list(self._live), set()
        for worker in live:
            worker.kill()


def _lane(pool: _Pool, jobs: queue.Queue[str], results: dict[str, ModuleResult], timeout: float) -> None:
    worker: Worker | None = None
    try:
        while not pool.stopped.is_set():
            try:
                rel = jobs.get_nowait()
            except queue.Empty:
                return
            if worker is None:
                worker = pool.start()
            if worker is None:
                reason = pool.start_error or "discovery was interrupted"
                results[rel] = ModuleResult(rel, diagnostics=[error("worker-crash", reason, rel)])
                continue
            answer, output = worker.ask(rel, timeout)
            results[rel] = to_result(rel, answer, output, timeout)
            if not isinstance(answer, _Reply):
                pool.retire(worker, kill=True)
                worker = None
    finally:
        if worker is not None:
            pool.retire(worker, kill=pool.stopped.is_set())


def load_python(
    root: Path, paths: Sequence[str], *, timeout: float = 10.0, workers: int = 2
) -> list[ModuleResult]:
    """Import every workspace-relative ``paths`` entry in worker subprocesses; results in input order."""
    if not paths:
        return []
    jobs: queue.Queue[str] = queue.Queue()
    for rel in paths:
        jobs.put(rel)
    results: dict[str, ModuleResult] = {}
    failures: list[BaseException] = []
    pool = _Pool(root)

    def run() -> None:
        try:
            _lane(pool, jobs, results, timeout)
        except BaseException as exc:  # surfaced in the calling thread below
            failures.append(exc)

    lanes = [
        threading.Thread(target=run, name=f"discovery-lane-{n}", daemon=True)
        for n in range(max(1, min(workers, len(paths))))
    ]
    try:
        for lane in lanes:
            lane.start()
        for lane in lanes:
            while lane.is_alive():
                lane.join(timeout=0.2)
    finally:
        pool.shutdown()
        for lane in lanes:
            if lane.ident is not None:
                lane.join()
    if failures:
        raise failures[0]
    return [results[rel] for rel in paths]
