"""A pool of Node worker processes running TypeScript/JavaScript tool handlers.

Each :class:`NodeWorker` is ``node bridge.mjs serve ROOT`` (see
``runtime/node/bridge.mjs``) speaking newline-delimited JSON-RPC over its
stdin/stdout; one worker runs many calls concurrently (handlers are async).
:class:`NodePool` keeps ``size`` of them, started on the first call, and
sends each call to the least busy one.

Faults:

- a worker that exits, crashes or writes anything but protocol JSON to
  stdout fails only its in-flight calls (:class:`NodeWorkerError`, naming
  the pid and why); its slot restarts it on the next call after a backoff
  (0.1 s doubling to 5 s while it keeps failing);
- a call past its timeout gets a ``cancel`` (the handler's ``ctx.signal``
  aborts, its result is dropped); a worker that does not acknowledge within
  ``cancel_grace`` (a busy loop) is killed and restarted;
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
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from mcpgen.errors import ToolTimeoutError
from mcpgen.nodejs import BRIDGE, node_command

logger = logging.getLogger("mcpgen.node")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
_LINE_LIMIT = 64 * 1024 * 1024
_MAX_BACKOFF = 5.0
_live: weakref.WeakSet[NodeWorker] = weakref.WeakSet()


class NodeWorkerError(Exception):
    """The worker running this call crashed, exited, broke the protocol or could not start."""


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


@dataclass(eq=False)
class _Pending:
    future: asyncio.Future[Any]
    hooks: CallHooks
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)


def _describe_exit(status: int | None) -> str:
    if status is None:
        return "an unknown status"
    if status < 0:
        try:
            return f"signal {signal.Signals(-status).name}"
        except ValueError:
            return f"signal {-status}"
    return f"exit code {status}"


class NodeWorker:
    """One bridge process. Create with :meth:`start`."""

    def __init__(self, proc: asyncio.subprocess.Process, cancel_grace: float) -> None:
        self.proc = proc
        self.pid = proc.pid
        self.cancel_grace = cancel_grace
        self.pending: dict[int, _Pending] = {}
        self.acks: dict[int, asyncio.Event] = {}
        self.broken: str | None = None
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
        proc = await asyncio.create_subprocess_exec(
            *node_command(str(BRIDGE), "serve", str(root)),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=root,
            start_new_session=True,
            limit=_LINE_LIMIT,
            env={**os.environ, "NODE_NO_WARNINGS": "1"},
        )
        worker = cls(proc, cancel_grace)
        worker._spawn(worker._read_stdout())
        worker._spawn(worker._read_stderr())
        ready = asyncio.ensure_future(worker._ready.wait())
        done = asyncio.ensure_future(worker.done.wait())
        try:
            await asyncio.wait({ready, done}, timeout=startup_timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
            done.cancel()
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
            self._fail_all(self.broken or f"exited with {_describe_exit(status)}")
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
            ack = self.acks.pop(cid, None)
            if ack is not None:
                ack.set()
        elif method == "ready":
            self._ready.set()

    # failing ---------------------------------------------------------------

    def _break(self, why: str) -> None:
        if self.broken is None:
            self.broken = why
            logger.error("node worker %s; killing it", why, extra={"worker": self.pid})
            self._signal(signal.SIGKILL)

    def _fail_all(self, why: str) -> None:
        pending, self.pending = self.pending, {}
        for p in pending.values():
            if not p.future.done():
                p.future.set_exception(
                    NodeWorkerError(f"the Node worker (pid {self.pid}) {why} while running this call")
                )
        if pending:
            logger.error(
                "node worker (pid %d) %s; failed %d in-flight call(s)",
                self.pid,
                why,
                len(pending),
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

    def submit(self, params: dict[str, Any], hooks: CallHooks, method: str = "call") -> tuple[int, _Pending]:
        if not self.alive:
            raise NodeWorkerError(f"the Node worker (pid {self.pid}) is not running")
        call_id = next(self._ids)
        pending = _Pending(asyncio.get_running_loop().create_future(), hooks)
        self.pending[call_id] = pending
        self._write({"id": call_id, "method": method, "params": params})
        return call_id, pending

    async def request(self, method: str, params: dict[str, Any]) -> Any:
        """One request that is not a tool call (``connector.*``); its entry is dropped if the caller gives up."""
        call_id, pending = self.submit(params, CallHooks(), method)
        try:
            return await pending.future
        finally:
            self.pending.pop(call_id, None)

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
        """Tell the worker to abort ``call_id``; kill the worker if it does not answer in time."""
        self.pending.pop(call_id, None)
        if not self.alive:
            return
        ack = self.acks[call_id] = asyncio.Event()
        self._write({"method": "cancel", "params": {"id": call_id}})
        self._spawn(self._watch_cancel(call_id, ack))

    async def _watch_cancel(self, call_id: int, ack: asyncio.Event) -> None:
        try:
            await asyncio.wait_for(ack.wait(), timeout=self.cancel_grace)
        except TimeoutError:
            self.acks.pop(call_id, None)
            if self.alive:
                self._break(
                    f"did not acknowledge a cancellation within {self.cancel_grace:g}s (a busy loop?)"
                )

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
        self.restarts = 0
        self.connector_specs: dict[str, dict[str, Any]] = {}
        """Connected TS/JS connectors (name → path, attribute, config): sent to every fresh worker,
        which initializes them lazily (see :mod:`mcpgen.runtime.node_connectors`)."""

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
        live = [s for s in self._slots if s.worker is not None and s.worker.alive]
        if len(live) == self.size:
            best = min(live, key=lambda s: len(s.worker.pending) if s.worker is not None else 0)
            assert best.worker is not None
            return best.worker
        idle = [s for s in live if s.worker is not None and not s.worker.pending]
        if idle:  # a worker is free now: use it, bring the missing ones up meanwhile
            for s in self._slots:
                if s not in live:
                    self._background(self._ensure(s))
            assert idle[0].worker is not None
            return idle[0].worker
        missing = [s for s in self._slots if s not in live]
        return await self._ensure(missing[0])

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

    def _background(self, coro: Any) -> None:
        async def quietly() -> None:
            try:
                await coro
            except Exception as exc:
                logger.error("node worker failed to start: %s", exc)

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
        :class:`~mcpgen.errors.ToolTimeoutError` (after cancelling the call in the worker)."""
        tool = hooks.tool or "?"
        try:
            async with asyncio.timeout(time_limit):
                worker = await self._pick()
                call_id, pending = worker.submit(dict(params), hooks)
                try:
                    value = await pending.future
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
        return value

    async def aclose(self, grace: float = 5.0) -> None:
        """Finish in-flight calls (up to ``grace`` seconds), then stop every worker and reap it."""
        self._closed = True
        if self._starting:
            await asyncio.gather(*list(self._starting), return_exceptions=True)
        workers = [s.worker for s in self._slots if s.worker is not None]
        deadline = time.monotonic() + grace
        while any(w.pending for w in workers) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)
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
