"""A pool of Node worker processes running TypeScript/JavaScript tool handlers.

Each :class:`NodeWorker` is ``node bridge.mjs serve ROOT`` (see
``runtime/node/bridge.mjs``) speaking newline-delimited JSON-RPC over its
stdin/stdout; one worker runs many calls concurrently (handlers are async).
:class:`NodePool` keeps ``size`` of them, started on the first call, and
sends each call to the least busy one.

**A handler that never yields** (``for (;;) {}``, a runaway regex) blocks its
worker's event loop: no other call on that worker can progress, and the
worker cannot even read new calls. The pool's answer, in the order it happens:

1. *Receipts.* Before any code of the messages it just read runs, the
   bridge records the highest id among them in a small file the pool opened
   for that worker (a synchronous ``pwrite``: it survives a SIGKILL; the
   pool reads it only when it needs to, so receipts cost no message and no
   wake-up). Messages are read in order, so the pool knows for every call
   whether it may have started (id at or below the mark) or certainly has
   not (above it).
2. *Out of rotation at once.* A worker that has not read a call for
   ``_STALL_AFTER`` (busy with synchronous work) gets no new calls while
   another worker can take them. A worker with an outstanding cancellation (a
   call on it timed out or was cancelled, and the bridge has not confirmed
   the abort) gets no new calls at all: they go to the other workers; if
   every worker is in that state, a call waits ``_ANSWER_WINDOW`` for an
   answer, then a fresh worker replaces one of them in its slot (the old one
   keeps its calls, finishes them and exits, or is killed as below).
3. *Killed and replaced.* A worker that does not confirm a cancellation
   within ``cancel_grace`` is killed (SIGKILL on its process group); its slot
   starts a fresh worker on the next call.
4. *No other call fails.* The calls that were still on the killed worker are
   moved to a healthy worker, transparently and within their own time limit,
   when that is safe: always when the worker never read them (no code of
   theirs ran); when it had, only for tools marked ``readOnlyHint`` or
   ``idempotentHint`` (:attr:`CallHooks.idempotent`), and once. A started
   call of any other tool may have done part of its work (sent the e-mail,
   charged the card) and is not run twice: it fails with a
   :class:`NodeWorkerError` that says so. That is the one case where a call
   other than the runaway one can fail: it must have started on the same
   worker before the runaway call blocked it.

Other faults:

- a worker that exits, crashes or writes anything but protocol JSON to
  stdout fails its in-flight calls that had started (:class:`NodeWorkerError`,
  naming the pid and why; the culprit is unknown, so none runs twice) and
  moves the ones it never read to another worker; its slot restarts it
  on the next call after a backoff (0.1 s doubling to 5 s while it keeps failing);
- a call past its timeout gets a ``cancel`` (the handler's ``ctx.signal``
  aborts, its result is dropped; a call cancelled before it started never
  runs);
- console output (``console.*``) arrives as ``console`` notifications and
  stderr lines are read line by line: both go to the ``mcpgen.node`` logger,
  never to the MCP transport;
- :meth:`NodePool.aclose` lets in-flight calls finish (up to a grace
  period), closes stdin (the bridge exits), then kills each process group
  and reaps it; an ``atexit`` hook kills what is still alive.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import itertools
import logging
import os
import signal
import struct
import sys
import tempfile
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from mcpgen.common.nodejs import BRIDGE, node_command
from mcpgen.common.processes import describe_exit
from mcpgen.errors import ToolTimeoutError

logger = logging.getLogger("mcpgen.node")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
_LINE_LIMIT = 64 * 1024 * 1024
_MAX_BACKOFF = 5.0
_STALL_AFTER = 0.25
"""A worker that has not read a call for this long is running synchronous code: prefer others."""
_ANSWER_WINDOW = 0.1
"""How long a call waits for a worker to confirm a cancellation before a fresh worker replaces it."""
_live: weakref.WeakSet[NodeWorker] = weakref.WeakSet()


class NodeWorkerError(Exception):
    """The worker running this call crashed, exited, broke the protocol or could not start."""


class _Moved(NodeWorkerError):
    """The worker died before this call finished and the call may run on another worker."""

    def __init__(self, message: str, *, started: bool) -> None:
        super().__init__(message)
        self.started = started


class NodeToolError(Exception):
    """The handler threw (or returned something that is not JSON). ``kind``: error, validation,
    serialization or exit."""

    def __init__(self, kind: str, message: str, stack: str | None = None, name: str = "Error") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.stack = stack
        self.name = name
        """The JS error's ``name`` (``TypeError``, ``ConnectorAuthError``, ...)."""


@dataclass(frozen=True, slots=True)
class CallHooks:
    """Where a call's ``ctx.log`` and ``ctx.reportProgress`` go (the protocol side)."""

    log: Callable[[str, str, dict[str, Any] | None], object] = lambda level, message, data: None
    progress: Callable[[float, float | None, str | None], Any] | None = None
    tool: str | None = None
    request_id: Any = None
    idempotent: bool = False
    """Running the call again is harmless (the tool is marked ``readOnlyHint`` or ``idempotentHint``):
    a call that had started on a worker killed for another call's busy loop runs again elsewhere."""


@dataclass(eq=False)
class _Pending:
    future: asyncio.Future[Any]
    hooks: CallHooks
    movable: bool = False
    """A tool call (not a connector request): it may move to another worker if it never started."""
    rerun: bool = False
    """It may move even after it started (an idempotent tool that has not been run twice yet)."""
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)


async def _first(events: list[asyncio.Event], within: float | None) -> None:
    """Wait until one of ``events`` is set, or ``within`` seconds."""
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


class NodeWorker:
    """One bridge process. Create with :meth:`start`."""

    def __init__(
        self, proc: asyncio.subprocess.Process, cancel_grace: float, receipts: int | None = None
    ) -> None:
        self.proc = proc
        self.pid = proc.pid
        self.cancel_grace = cancel_grace
        self.pending: dict[int, _Pending] = {}
        self.receipts = receipts
        """The file descriptor the bridge records the highest message id it has read in."""
        self._sent: deque[tuple[int, float]] = deque()
        """(id, when written) of messages, oldest first; the front is dropped once known read."""
        self.acks: dict[int, str] = {}
        """Cancellations the worker has not confirmed (call id → tool)."""
        self.answered = asyncio.Event()
        """Set while no cancellation is outstanding."""
        self.answered.set()
        self.quiet = asyncio.Event()
        """Set while nothing is in flight (no call, no cancellation)."""
        self.quiet.set()
        self.broken: str | None = None
        self.stuck: str | None = None
        """The tool whose cancellation went unconfirmed, when that is why the worker was killed."""
        self.started_at = time.monotonic()
        self._ids = itertools.count(1)
        self._ready = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.done = asyncio.Event()
        _live.add(self)

    @classmethod
    async def start(
        cls, root: Path, *, startup_timeout: float = 30.0, cancel_grace: float = 2.0
    ) -> NodeWorker:
        with tempfile.TemporaryFile() as receipts:
            proc = await asyncio.create_subprocess_exec(
                *node_command(str(BRIDGE), "serve", str(root), str(receipts.fileno())),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=root,
                start_new_session=True,
                limit=_LINE_LIMIT,
                env={**os.environ, "NODE_NO_WARNINGS": "1"},
                pass_fds=(receipts.fileno(),),
            )
            worker = cls(proc, cancel_grace, os.dup(receipts.fileno()))
        worker._spawn(worker._read_stdout())
        worker._spawn(worker._read_stderr())
        await _first([worker._ready, worker.done], startup_timeout)
        if not worker._ready.is_set():
            why = worker.broken or f"no ready message within {startup_timeout:g}s"
            await worker.kill()
            raise NodeWorkerError(f"the Node worker did not start: {why}")
        logger.info("node worker started", extra={"worker": worker.pid})
        return worker

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def alive(self) -> bool:
        return self.broken is None and not self.done.is_set()

    @property
    def suspect(self) -> bool:
        """A cancellation is outstanding: the worker may be stuck in a busy loop."""
        return bool(self.acks)

    def read_up_to(self) -> int:
        """The highest message id the bridge has read (every lower one was read too; 0: none yet).
        Without a receipts file every message counts as read: nothing is assumed not to have run."""
        if self.receipts is None:
            return sys.maxsize
        try:
            mark = os.pread(self.receipts, 8, 0)
        except OSError:
            return sys.maxsize
        return int(struct.unpack("<d", mark)[0]) if len(mark) == 8 else 0

    def stalled(self, now: float) -> bool:
        """The worker has left a message unread for ``_STALL_AFTER`` (it is running synchronous code)."""
        sent = self._prune()
        if not sent or sent[0][1] > now - _STALL_AFTER:
            return False
        read = self.read_up_to()  # a syscall, only when an old message may still be unread
        while sent and sent[0][0] <= read:
            sent.popleft()
        return bool(sent) and sent[0][1] <= now - _STALL_AFTER

    def _prune(self) -> deque[tuple[int, float]]:
        sent = self._sent
        while sent and sent[0][0] not in self.pending:  # answered or given up: it was read
            sent.popleft()
        return sent

    def _settle(self) -> None:
        if not self.acks:
            self.answered.set()
            if not self.pending:
                self.quiet.set()

    # reading ---------------------------------------------------------------

    async def _read_stdout(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        try:
            while True:
                try:
                    line = await stdout.readline()
                except (ValueError, asyncio.LimitOverrunError):
                    self._break("wrote a line longer than 64 MiB to stdout")
                    break
                if not line:
                    break
                try:
                    message = orjson.loads(line)
                    if not isinstance(message, dict):
                        raise ValueError
                except ValueError:
                    shown = line[:200].decode(errors="replace").rstrip()
                    self._break(f"wrote something that is not protocol JSON to stdout: {shown!r}")
                    break
                self._handle(message)
        finally:
            status = await self._reap()
            self._fail_all(self.broken or f"exited with {describe_exit(status)}")
            if self.receipts is not None:
                os.close(self.receipts)
                self.receipts = None
            self.done.set()

    async def _reap(self) -> int | None:
        with contextlib.suppress(Exception):
            return await asyncio.wait_for(self.proc.wait(), timeout=10)
        return self.proc.returncode

    async def _read_stderr(self) -> None:
        stderr = self.proc.stderr
        assert stderr is not None
        while True:
            try:
                line = await stderr.readline()
            except (ValueError, asyncio.LimitOverrunError):
                continue
            if not line:
                return
            text = line.decode(errors="replace").rstrip()
            if text:
                logger.info("node stderr: %s", text, extra={"worker": self.pid})

    def _handle(self, message: dict[str, Any]) -> None:
        method = message.get("method")
        if method is None:
            pending = self.pending.pop(message.get("id"), None)  # type: ignore[arg-type]
            self._settle()
            if pending is None or pending.future.done():
                return
            error = message.get("error")
            if error is not None:
                pending.future.set_exception(
                    NodeToolError(
                        str(error.get("kind")),
                        str(error.get("message")),
                        error.get("stack"),
                        str(error.get("name") or "Error"),
                    )
                )
            else:
                pending.future.set_result(message.get("result"))
            return
        params: dict[Any, Any] = message.get("params") or {}
        cid: Any = params.get("id")
        if method == "console":
            found = self.pending.get(cid)
            hooks = found.hooks if found is not None else CallHooks()
            level = _LEVELS.get(str(params.get("level")), logging.INFO)
            extra = {"tool": hooks.tool, "request_id": hooks.request_id, "worker": self.pid}
            logger.log(level, "node console: %s", params.get("text"), extra=extra)
        elif method == "log":
            found = self.pending.get(cid)
            if found is not None:
                found.hooks.log(str(params.get("level")), str(params.get("message")), params.get("data"))
        elif method == "progress":
            found = self.pending.get(cid)
            if found is not None and found.hooks.progress is not None:
                task = asyncio.ensure_future(
                    found.hooks.progress(
                        params.get("progress") or 0, params.get("total"), params.get("message")
                    )
                )
                found.tasks.add(task)
                task.add_done_callback(found.tasks.discard)
        elif method == "cancelled":
            self.acks.pop(cid, None)
            self._settle()
        elif method == "ready":
            self._ready.set()

    # failing ---------------------------------------------------------------

    def _break(self, why: str) -> None:
        if self.broken is None:
            self.broken = why
            logger.error("node worker %s; killing it", why, extra={"worker": self.pid})
            self._signal(signal.SIGKILL)

    def _fail_all(self, why: str) -> None:
        """The worker is gone: move each call that may run elsewhere, fail the others."""
        pending, self.pending = self.pending, {}
        read = self.read_up_to()
        failed = moved = 0
        for call_id, p in pending.items():
            if p.future.done():
                continue
            started = call_id <= read
            if p.movable and (not started or (self.stuck is not None and p.rerun)):
                p.future.set_exception(_Moved(f"the Node worker (pid {self.pid}) {why}", started=started))
                moved += 1
                continue
            message = f"the Node worker (pid {self.pid}) {why} while running this call"
            if p.movable and self.stuck is not None:
                message += "; it had started and may have done part of its work, so it was not run again " + (
                    "(it had been run again once already)"
                    if p.hooks.idempotent
                    else f"(mark '{p.hooks.tool}' readOnlyHint or idempotentHint to allow that)"
                )
            p.future.set_exception(NodeWorkerError(message))
            failed += 1
        self._sent.clear()
        self.acks.clear()
        self._settle()
        if failed or moved:
            logger.error(
                "node worker (pid %d) %s; failed %d in-flight call(s), moved %d to another worker",
                self.pid,
                why,
                failed,
                moved,
                extra={"worker": self.pid},
            )

    def _signal(self, sig: int) -> None:
        if self.proc.returncode is not None:
            return
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)

    # calling ---------------------------------------------------------------

    def submit(
        self, params: dict[str, Any], hooks: CallHooks, method: str = "call", *, rerun: bool = False
    ) -> tuple[int, _Pending]:
        """Send one request; a ``call`` may move to another worker if this one dies (see the module
        docstring), even after it started when ``rerun``."""
        if not self.alive:
            raise NodeWorkerError(f"the Node worker (pid {self.pid}) is not running")
        call_id = next(self._ids)
        movable = method == "call"
        pending = _Pending(asyncio.get_running_loop().create_future(), hooks, movable, rerun and movable)
        self.pending[call_id] = pending
        self.quiet.clear()
        self._prune().append((call_id, time.monotonic()))
        self._write({"id": call_id, "method": method, "params": params})
        return call_id, pending

    async def request(self, method: str, params: dict[str, Any]) -> Any:
        """One request that is not a tool call (``connector.*``); its entry is dropped if the caller gives up."""
        call_id, pending = self.submit(params, CallHooks(), method)
        try:
            return await pending.future
        finally:
            self.pending.pop(call_id, None)
            self._settle()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        """A message that needs no answer (``connector.configure``)."""
        if self.alive:
            self._write({"method": method, "params": params})

    def _write(self, message: dict[str, Any]) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            stdin.write(orjson.dumps(message) + b"\n")
        except (ConnectionError, RuntimeError) as exc:
            self._break(f"stopped reading its stdin ({exc})")

    def cancel(self, call_id: int) -> None:
        """Tell the worker to abort ``call_id``; until it confirms, it gets no new calls (:attr:`suspect`);
        kill it if it does not confirm within ``cancel_grace``."""
        pending = self.pending.pop(call_id, None)
        if not self.alive:
            self._settle()
            return
        self.acks[call_id] = (pending.hooks.tool if pending is not None else None) or "?"
        self.answered.clear()
        self.quiet.clear()
        self._write({"method": "cancel", "params": {"id": call_id}})
        self._spawn(self._watch_cancel(call_id))

    async def _watch_cancel(self, call_id: int) -> None:
        deadline = time.monotonic() + self.cancel_grace
        while call_id in self.acks and self.alive:
            left = deadline - time.monotonic()
            if left <= 0:
                tool = self.acks.pop(call_id)
                self.stuck = tool
                self._break(
                    f"did not stop tool '{tool}' within {self.cancel_grace:g}s of being told to cancel it "
                    "(a busy loop?)"
                )
                return
            await _first([self.answered, self.done], left)

    async def close(self, wait: float = 2.0) -> None:
        """EOF on stdin (the bridge exits), then SIGKILL after ``wait`` seconds; always reaped."""
        stdin = self.proc.stdin
        if stdin is not None:
            with contextlib.suppress(Exception):
                stdin.close()
        try:
            await asyncio.wait_for(self.done.wait(), timeout=wait)
        except TimeoutError:
            await self.kill()

    async def kill(self) -> None:
        self._signal(signal.SIGKILL)
        await self._reap()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.done.wait(), timeout=5)


@dataclass(eq=False)
class _Slot:
    worker: NodeWorker | None = None
    failures: int = 0
    lock: asyncio.Lock | None = None
    filling: bool = False
    """A background start for this slot is under way."""


class NodePool:
    """``size`` Node workers for one workspace (started on the first call)."""

    def __init__(
        self, root: Path, size: int = 2, *, startup_timeout: float = 30.0, cancel_grace: float = 2.0
    ) -> None:
        self.root = root.resolve()
        self.size = max(1, size)
        self.startup_timeout = startup_timeout
        self.cancel_grace = cancel_grace
        self._slots = [_Slot() for _ in range(self.size)]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._closing: asyncio.Task[None] | None = None
        self._starting: set[asyncio.Task[None]] = set()
        self._retired: dict[NodeWorker, asyncio.Task[None]] = {}
        """Workers replaced while a cancellation was outstanding: they finish their calls, then exit."""
        self.restarts = 0
        """Workers started to replace one that died or stopped answering."""
        self.connector_specs: dict[str, dict[str, Any]] = {}
        """Connected TS/JS connectors (name → path, attribute, config): sent to every fresh worker,
        which initializes them lazily (see :mod:`mcpgen.runtime.connectors.node`)."""

    @property
    def workers(self) -> list[NodeWorker]:
        return [s.worker for s in self._slots if s.worker is not None and s.worker.alive]

    @property
    def busy(self) -> int:
        """Live workers running at least one call right now (read by the metrics)."""
        return sum(1 for w in self.workers if w.pending)

    @property
    def crashes(self) -> int:
        """Workers that died unasked: the ones restarted since, and the dead ones not restarted yet."""
        dead = sum(1 for s in self._slots if s.worker is not None and not s.worker.alive and not self._closed)
        return self.restarts + dead

    async def _ensure(self, slot: _Slot) -> NodeWorker:
        if slot.lock is None:
            slot.lock = asyncio.Lock()
        async with slot.lock:
            worker = slot.worker
            if worker is not None and worker.alive:
                return worker
            if self._closed:
                raise NodeWorkerError("the Node worker pool is shut down")
            if worker is not None:  # it died: note it, back off before the restart
                if time.monotonic() - worker.started_at > 10:
                    slot.failures = 0
                slot.failures += 1
                self.restarts += 1
                delay = min(0.1 * 2 ** (slot.failures - 1), _MAX_BACKOFF)
                logger.warning("restarting a node worker in %.1fs (restart %d)", delay, self.restarts)
                await asyncio.sleep(delay)
            if self._closed:
                raise NodeWorkerError("the Node worker pool is shut down")
            worker = await NodeWorker.start(
                self.root, startup_timeout=self.startup_timeout, cancel_grace=self.cancel_grace
            )
            if self._closed:  # shut down while it was starting
                await worker.close()
                raise NodeWorkerError("the Node worker pool is shut down")
            if self.connector_specs:  # before any call: the bridge reads stdin in order
                worker.notify("connector.configure", {"specs": dict(self.connector_specs)})
            slot.worker = worker
            return worker

    async def _pick(self) -> NodeWorker:
        if self._closed:
            raise NodeWorkerError("the Node worker pool is shut down")
        self._loop = asyncio.get_running_loop()
        worker = self._choose()
        if worker is None and not self._missing():
            # every worker has a cancellation it has not confirmed: give them a moment, then replace one
            workers = [s.worker for s in self._slots if s.worker is not None]
            await _first([w.answered for w in workers] + [w.done for w in workers], _ANSWER_WINDOW)
            if self._closed:
                raise NodeWorkerError("the Node worker pool is shut down")
            worker = self._choose()
            if worker is None and not self._missing():
                self._retire(next(s for s in self._slots if s.worker is not None and s.worker.suspect))
        if worker is not None:
            return worker
        return await self._ensure(self._missing()[0])

    def _missing(self) -> list[_Slot]:
        return [s for s in self._slots if s.worker is None or not s.worker.alive]

    def _choose(self) -> NodeWorker | None:
        """The worker for the next call, or None: start a missing one (or replace a suspect one)."""
        now = time.monotonic()
        live = 0
        usable: list[NodeWorker] = []  # never a worker with an unconfirmed cancellation
        ready: list[NodeWorker] = []  # nor, while another can take the call, one running synchronous code
        for slot in self._slots:
            worker = slot.worker
            if worker is None or not worker.alive:
                continue
            live += 1
            if not worker.suspect:
                usable.append(worker)
                if not worker.stalled(now):
                    ready.append(worker)
        if len(ready) == self.size:
            return min(ready, key=lambda w: len(w.pending))
        idle = [w for w in ready if not w.pending]
        if idle:  # a worker is free now: use it, bring the missing ones up meanwhile
            for s in self._missing():
                if not s.filling:
                    self._fill(s)
            return idle[0]
        if live < self.size:
            return None
        pool = ready or usable  # a stalled worker only when no other can take the call
        return min(pool, key=lambda w: len(w.pending)) if pool else None

    def _retire(self, slot: _Slot) -> None:
        """Take the slot's worker out of the pool (it finishes its calls, or is killed if its cancellation
        stays unconfirmed); the slot starts a fresh one."""
        worker = slot.worker
        assert worker is not None
        slot.worker = None
        self.restarts += 1
        logger.warning(
            "node worker (pid %d) has not confirmed a cancellation; a fresh worker takes its new calls",
            worker.pid,
            extra={"worker": worker.pid},
        )

        async def drain() -> None:
            await _first([worker.quiet, worker.done], None)
            await worker.close()
            self._retired.pop(worker, None)

        self._retired[worker] = asyncio.ensure_future(drain())

    async def broadcast(self, method: str, params: Mapping[str, Any], *, start: bool = True) -> list[Any]:
        """Send one request to every worker (starting the missing ones when ``start``); each worker's
        answer or exception, in slot order."""
        if self._closed:
            raise NodeWorkerError("the Node worker pool is shut down")
        self._loop = asyncio.get_running_loop()
        if start:
            workers = list(await asyncio.gather(*(self._ensure(s) for s in self._slots)))
        else:
            workers = self.workers
        return list(
            await asyncio.gather(*(w.request(method, dict(params)) for w in workers), return_exceptions=True)
        )

    def _fill(self, slot: _Slot) -> None:
        """Start the slot's worker in the background."""

        async def quietly() -> None:
            try:
                await self._ensure(slot)
            except Exception as exc:
                if not self._closed:
                    logger.error("node worker failed to start: %s", exc)
            finally:
                slot.filling = False

        slot.filling = True
        task = asyncio.ensure_future(quietly())
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)

    async def call(
        self,
        params: Mapping[str, Any],
        *,
        time_limit: float,
        hooks: CallHooks,
    ) -> Any:
        """Run one handler call; raises :class:`NodeToolError`, :class:`NodeWorkerError` or
        :class:`~mcpgen.errors.ToolTimeoutError` (after cancelling the call in the worker).

        A call on a worker that dies is run again on another worker when that is safe (see the module
        docstring), within the same ``time_limit``."""
        tool = hooks.tool or "?"
        request = dict(params)
        rerun = hooks.idempotent
        try:
            async with asyncio.timeout(time_limit):
                while True:
                    worker = await self._pick()
                    call_id, pending = worker.submit(request, hooks, rerun=rerun)
                    try:
                        return await pending.future
                    except _Moved as moved:
                        rerun = rerun and not moved.started
                        logger.warning(
                            "%s before it finished %s; running the call on another worker",
                            moved,
                            tool,
                            extra={"tool": tool, "request_id": hooks.request_id, "worker": worker.pid},
                        )
                    except BaseException:
                        if call_id in worker.pending:  # timed out or cancelled by the client: abort it there
                            worker.cancel(call_id)
                        raise
                    finally:
                        if pending.tasks:
                            await asyncio.gather(*pending.tasks, return_exceptions=True)
        except TimeoutError:
            message = f"{tool} timed out after {time_limit:g}s"
            raise ToolTimeoutError(message, tool=tool, timeout=time_limit) from None

    async def aclose(self, grace: float = 5.0) -> None:
        """Finish in-flight calls (up to ``grace`` seconds), then stop every worker and reap it."""
        self._closed = True
        if self._starting:
            await asyncio.gather(*list(self._starting), return_exceptions=True)
        workers = [s.worker for s in self._slots if s.worker is not None] + list(self._retired)
        deadline = time.monotonic() + grace
        while any(w.pending for w in workers) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)
        await asyncio.gather(*self._retired.values(), return_exceptions=True)
        for slot in self._slots:
            slot.worker = None
        self._closed = False  # an app started again starts fresh workers on its first call

    def close_soon(self, grace: float = 5.0) -> None:
        """:meth:`aclose` from any thread (a reload swapped this pool's registry out)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            self._closed = True
            return

        def schedule() -> None:
            self._closing = loop.create_task(self.aclose(grace))

        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(schedule)


@dataclass(frozen=True, slots=True)
class NodeBinding:
    """What a loaded TS/JS tool holds: its pool and the export the bridge calls."""

    pool: NodePool
    path: str
    attribute: str
    kind: str
    config: Mapping[str, Any] = field(default_factory=dict)
    """The tool's runtime config section, overlaid on a seed tool's ``metadata.config``."""


@atexit.register
def _kill_leftovers() -> None:
    """Never leave a worker behind (the loop may be gone already): kill and reap each group."""
    for worker in list(_live):
        if worker.proc.returncode is None:
            with contextlib.suppress(OSError):
                os.killpg(worker.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(worker.pid, 0)
