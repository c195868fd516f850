"""``mcpgen loadtest``: drive one tool of a server with N concurrent clients, check every answer.

The target is a workspace (served by ``python -m mcpgen serve`` in a subprocess on a free
127.0.0.1 port, see :mod:`mcpgen.workflows.served`) or the URL of a running server.

**Safety rule.** A load test is a denial of service aimed on purpose, so where it may go is
narrow: a loopback address (``127.0.0.0/8``, ``::1``, ``localhost``) is always allowed; any
other host only when the user names it *and* passes ``--allow-remote`` (saying "this server is
mine"). A host name that merely resolves to a loopback address counts as remote (DNS can
change under us). Only ``http``/``https``; no redirects are followed (a redirect is counted as
an HTTP error, never chased to another host); proxy variables are ignored (the load goes to
the target, not through a proxy). Every run is bounded: at most :data:`MAX_DURATION` seconds,
:data:`MAX_CONCURRENCY` clients and :data:`MAX_REQUESTS` requests, each request at most
:data:`MAX_TIMEOUT` seconds; a value beyond is a usage error, never silently lowered.

**The client.** One ``httpx.AsyncClient`` with a pool of ``concurrency`` keep-alive
connections, shared by ``concurrency`` workers in a closed loop (each sends its next request
when its answer has come). Requests are what the SDK client sends on each wire:

- ``2025-11-25``: an ``initialize`` handshake first (then ``notifications/initialized`` and the
  ``Mcp-Session-Id`` on every request when the server keeps sessions; none when it is
  stateless), then plain JSON-RPC ``tools/call`` with the ``MCP-Protocol-Version`` header;
- ``2026-07-28``: stateless, no handshake; each request carries the ``_meta`` envelope
  (protocol version, client info, capabilities) and the ``Mcp-Method``/``Mcp-Name`` headers.

Before the load, ``tools/list`` must show the tool and its input schema must accept the
arguments (otherwise the run would only measure errors).

**Every answer is checked**: HTTP status 200, a JSON (or SSE) body holding the JSON-RPC
response with the request's own id, a ``result`` rather than an ``error``, and ``isError``
not set. A failed answer is counted by kind: ``http NNN``, ``jsonrpc CODE``, ``tool error``,
``timeout``, ``connection``, ``invalid response``; the first answer of each kind is kept as a
sample.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import math
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import anyio
import httpx
import jsonschema_rs
import orjson

from mcpgen._version import __version__
from mcpgen.errors import LoadTestError, UsageError
from mcpgen.workflows import served
from mcpgen.workflows.project import STATE_DIR

LEGACY = "2025-11-25"
MODERN = "2026-07-28"
WIRES = (LEGACY, MODERN)

MAX_DURATION = 600.0
"""Seconds: a load test longer than 10 minutes is a soak test, not this command."""
MAX_CONCURRENCY = 512
MAX_REQUESTS = 1_000_000
MAX_TIMEOUT = 60.0
DEFAULT_TIMEOUT = 10.0
DEFAULT_READY_TIMEOUT = 60.0
SAMPLE_CHARS = 300
"""How much of a failed answer is kept as the sample of its kind."""

TIMEOUT = "timeout"
CONNECTION = "connection"
TOOL_ERROR = "tool error"
INVALID = "invalid response"

Progress = Callable[["Snapshot"], None]


@dataclass(frozen=True)
class LoadOptions:
    tool: str
    arguments: dict[str, Any]
    concurrency: int = 1
    duration: float = 10.0
    requests: int | None = None
    """Stop after this many requests (whichever comes first: this or ``duration``)."""
    wire: str = MODERN
    """``2025-11-25`` or ``2026-07-28`` (checked by :meth:`check`)."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds one request may take before it counts as a ``timeout``."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Sent with every request (e.g. ``Authorization``); never printed or reported."""
    allow_remote: bool = False
    env: str | None = None
    """A served workspace's config overlay (``--env``)."""
    overrides: tuple[str, ...] = ()
    """A served workspace's ``--set`` overrides."""
    ready_timeout: float = DEFAULT_READY_TIMEOUT

    def check(self) -> None:
        """The hard bounds: a value beyond is a usage error naming the flag and the limit."""
        if self.wire not in WIRES:
            raise UsageError(f"--wire must be one of {', '.join(WIRES)}, not {self.wire!r}")
        _bound("--concurrency", self.concurrency, 1, MAX_CONCURRENCY)
        _bound("--duration", self.duration, 0.1, MAX_DURATION, unit=" s")
        _bound("--timeout", self.timeout, 0.1, MAX_TIMEOUT, unit=" s")
        if self.requests is not None:
            _bound("--requests", self.requests, 1, MAX_REQUESTS)
        if not self.tool:
            raise UsageError("--tool must name a tool")


def _bound(flag: str, value: float, low: float, high: float, unit: str = "") -> None:
    if not (low <= value <= high) or math.isnan(value):
        raise UsageError(f"{flag} must be between {_num(low)} and {_num(high)}{unit}, not {_num(value)}")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def parse_arguments(text: str) -> dict[str, Any]:
    """``--args``: a JSON object, or ``@FILE`` holding one."""
    where = "--args"
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--args {text}: cannot read {path}: {exc.strerror or exc}") from None
        where = str(path)
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{where} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{where} must be a JSON object (the tool's arguments), not {type(value).__name__}")
    return value


def parse_headers(values: Sequence[str]) -> dict[str, str]:
    """``--header "Name: value"`` (repeatable)."""
    headers: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition(":")
        if not sep or not name.strip() or any(c.isspace() for c in name.strip()):
            raise UsageError(f"--header must look like 'Name: value', not {name.strip()!r}…")
        headers[name.strip()] = rest.strip()
    return headers


# -------------------------------------------------------------------------------------------- target


def is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback IP literal; a name that resolves to one does not count."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_remote: bool) -> str:
    """The URL to load, or a usage error saying why not (scheme, credentials, a remote host)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"the target URL must be http(s)://HOST[:PORT]/PATH, not {url!r}")
    if parts.username or parts.password:
        raise UsageError("the target URL must not carry credentials; pass them with --header")
    try:
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError as exc:
        raise UsageError(f"the target URL has a bad port: {exc}") from None
    if not is_loopback_host(parts.hostname) and not allow_remote:
        raise UsageError(
            f"{parts.hostname} is not a loopback address: a load test goes only to 127.0.0.1, ::1 or "
            "localhost unless you pass --allow-remote for a server you are responsible for",
            hint="add --allow-remote to load a server on another host",
        )
    return url if parts.path else url.rstrip("/") + "/mcp"


# -------------------------------------------------------------------------------------------- wire


def _base_headers(wire: str, extra: Mapping[str, str]) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": wire,
        **extra,
    }


def _meta() -> dict[str, Any]:
    return {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": {"name": "mcpgen-loadtest", "version": __version__},
        "io.modelcontextprotocol/clientCapabilities": {},
    }


def request(
    method: str, params: dict[str, Any], wire: str, request_id: int | None, extra: Mapping[str, str]
) -> tuple[dict[str, str], bytes]:
    """Headers and body of one request on ``wire`` (the shapes of ``bench/_harness.py``, which
    copied them from the SDK 2.3 client); ``request_id=None`` makes a notification."""
    headers = _base_headers(wire, extra)
    if wire == MODERN:
        params = {**params, "_meta": _meta()}
        headers["Mcp-Method"] = method
        if method == "tools/call":
            headers["Mcp-Name"] = params["name"]
    body: dict[str, Any] = {"jsonrpc": "2.0"}
    if request_id is not None:
        body["id"] = request_id
    body["method"] = method
    if params:
        body["params"] = params
    return headers, orjson.dumps(body)


@dataclass(frozen=True)
class CallTemplate:
    """One ``tools/call``, encoded once; :meth:`body` only splices in the request id."""

    headers: dict[str, str]
    prefix: bytes
    suffix: bytes

    @classmethod
    def build(cls, tool: str, arguments: dict[str, Any], wire: str, extra: Mapping[str, str]) -> CallTemplate:
        headers, body = request("tools/call", {"name": tool, "arguments": arguments}, wire, 0, extra)
        prefix = b'{"jsonrpc":"2.0","id":'
        assert body.startswith(prefix + b"0,")  # orjson keeps the insertion order
        return cls(headers, prefix, body[len(prefix) + 1 :])

    def body(self, request_id: int) -> bytes:
        return self.prefix + str(request_id).encode() + self.suffix


def response_message(response: httpx.Response, request_id: int) -> dict[str, Any] | None:
    """The JSON-RPC response to ``request_id`` in a JSON or SSE body, or ``None``."""
    content_type = response.headers.get("content-type", "")
    candidates: list[bytes] = []
    if content_type.startswith("text/event-stream"):
        for line in response.content.splitlines():
            if line.startswith(b"data:"):
                candidates.append(line[5:].strip())
    else:
        candidates.append(response.content)
    for raw in candidates:
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if isinstance(message, dict) and message.get("id") == request_id:
            return message
    return None


def classify(response: httpx.Response, request_id: int) -> tuple[str | None, str]:
    """``(None, "")`` for a good answer, else ``(kind, sample)``."""
    if response.status_code != 200:
        return f"http {response.status_code}", response.text[:SAMPLE_CHARS]
    message = response_message(response, request_id)
    if message is None:
        return INVALID, response.text[:SAMPLE_CHARS]
    error = message.get("error")
    if error is not None:
        code = error.get("code") if isinstance(error, dict) else None
        return f"jsonrpc {code}", orjson.dumps(error).decode()[:SAMPLE_CHARS]
    result = message.get("result")
    if not isinstance(result, dict):
        return INVALID, orjson.dumps(message).decode()[:SAMPLE_CHARS]
    if result.get("isError"):
        return TOOL_ERROR, _content_text(result)[:SAMPLE_CHARS]
    return None, ""


def _content_text(result: dict[str, Any]) -> str:
    content = result.get("content")
    if isinstance(content, list):
        texts = [c.get("text", "") for c in content if isinstance(c, dict)]
        if any(texts):
            return " ".join(t for t in texts if t)
    return orjson.dumps(result).decode()


# -------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Snapshot:
    """What the live display shows, a few times a second."""

    elapsed: float
    duration: float
    requests: int
    errors: int
    rps: float
    """Over the last second."""


@dataclass
class Stats:
    """Every answer's latency and kind, and per-second counts (the throughput plot)."""

    latencies: array[float] = field(default_factory=lambda: array("d"))
    """Seconds, every answered or timed-out request, in completion order."""
    failed: array[float] = field(default_factory=lambda: array("d"))
    """The latencies of the failed ones (a second histogram trace)."""
    errors: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)
    ok_per_second: list[int] = field(default_factory=list)
    errors_per_second: list[int] = field(default_factory=list)

    def record(self, at: float, latency: float, kind: str | None, sample: str) -> None:
        self.latencies.append(latency)
        second = int(at)
        while len(self.ok_per_second) <= second:
            self.ok_per_second.append(0)
            self.errors_per_second.append(0)
        if kind is None:
            self.ok_per_second[second] += 1
            return
        self.failed.append(latency)
        self.errors[kind] += 1
        self.samples.setdefault(kind, sample)
        self.errors_per_second[second] += 1

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


@dataclass(frozen=True)
class LoadReport:
    target: str
    workspace: Path | None
    """The workspace served for the run (``None`` for a URL)."""
    options: LoadOptions
    elapsed: float
    stopped_by: Literal["duration", "requests"]
    stats: Stats
    session: bool
    """The server kept a 2025-11-25 session for the run (stateful mode)."""
    server_log: Path | None = None

    @property
    def requests(self) -> int:
        return self.stats.count

    @property
    def errors(self) -> int:
        return self.stats.error_count

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    def latency_ms(self) -> dict[str, float]:
        """min, mean, p50, p90, p99, max in milliseconds (nearest rank), over every request."""
        ordered = sorted(self.stats.latencies)
        if not ordered:
            return {}

        def rank(p: float) -> float:
            return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000

        return {
            "min": ordered[0] * 1000,
            "mean": sum(ordered) / len(ordered) * 1000,
            "p50": rank(50),
            "p90": rank(90),
            "p99": rank(99),
            "max": ordered[-1] * 1000,
        }

    def passed(self, max_error_rate: float) -> bool:
        """At least one request, and no more errors than allowed (0: none at all)."""
        if self.requests == 0:
            return False
        return self.errors == 0 or (max_error_rate > 0 and self.error_rate <= max_error_rate)

    def to_data(self, max_error_rate: float = 0.0) -> dict[str, Any]:
        """The report for ``--json`` (camelCase keys, milliseconds, seconds)."""
        o = self.options
        return {
            "target": self.target,
            "workspace": str(self.workspace) if self.workspace else None,
            "tool": o.tool,
            "wire": o.wire,
            "session": self.session,
            "concurrency": o.concurrency,
            "durationLimit": o.duration,
            "requestLimit": o.requests,
            "timeout": o.timeout,
            "elapsed": round(self.elapsed, 4),
            "stoppedBy": self.stopped_by,
            "requests": self.requests,
            "ok": self.requests - self.errors,
            "errors": self.errors,
            "errorRate": round(self.error_rate, 6),
            "maxErrorRate": max_error_rate,
            "passed": self.passed(max_error_rate),
            "rps": round(self.rps, 2),
            "latencyMs": {k: round(v, 3) for k, v in self.latency_ms().items()},
            "errorsByKind": dict(sorted(self.stats.errors.items())),
            "errorSamples": dict(sorted(self.stats.samples.items())),
            "timeline": [
                {"second": i, "ok": ok, "errors": bad}
                for i, (ok, bad) in enumerate(
                    zip(self.stats.ok_per_second, self.stats.errors_per_second, strict=True)
                )
            ],
        }


# -------------------------------------------------------------------------------------------- the run


@dataclass
class _Session:
    headers: dict[str, str]
    """Sent with every request (the caller's, plus ``Mcp-Session-Id`` in a stateful session)."""
    session_id: str | None = None


def _setup_failure(what: str, url: str, response: httpx.Response) -> LoadTestError:
    hint = None
    if response.status_code in (401, 403):
        hint = "the server wants credentials: pass them with --header 'Authorization: Bearer …'"
    return LoadTestError(
        f"{what} at {url} failed: HTTP {response.status_code}: {response.text[:SAMPLE_CHARS]}", hint=hint
    )


async def _post(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], body: bytes, what: str
) -> httpx.Response:
    try:
        return await http.post(url, content=body, headers=headers)
    except httpx.TimeoutException:
        raise LoadTestError(f"{what} at {url} timed out") from None
    except httpx.TransportError as exc:
        raise LoadTestError(f"cannot reach {url} ({what}): {exc or type(exc).__name__}") from None


async def _rpc(
    http: httpx.AsyncClient, url: str, session: _Session, wire: str, method: str, params: dict[str, Any]
) -> tuple[httpx.Response, dict[str, Any]]:
    headers, body = request(method, params, wire, 1, session.headers)
    response = await _post(http, url, headers, body, method)
    if response.status_code != 200:
        raise _setup_failure(method, url, response)
    message = response_message(response, 1)
    if message is None:
        raise LoadTestError(f"{method} at {url}: no JSON-RPC response in {response.text[:SAMPLE_CHARS]!r}")
    if "error" in message:
        raise LoadTestError(f"{method} at {url} failed: {orjson.dumps(message['error']).decode()}")
    return response, message.get("result") or {}


async def _open(http: httpx.AsyncClient, url: str, options: LoadOptions) -> _Session:
    """The handshake the wire needs, then check the tool exists and accepts the arguments."""
    session = _Session(dict(options.headers))
    if options.wire == LEGACY:
        params = {
            "protocolVersion": LEGACY,
            "capabilities": {},
            "clientInfo": {"name": "mcpgen-loadtest", "version": __version__},
        }
        response, _ = await _rpc(http, url, session, LEGACY, "initialize", params)
        session.session_id = response.headers.get("mcp-session-id")
        if session.session_id:
            session.headers["Mcp-Session-Id"] = session.session_id
        headers, body = request("notifications/initialized", {}, LEGACY, None, session.headers)
        answer = await _post(http, url, headers, body, "notifications/initialized")
        if answer.status_code not in (200, 202, 204):
            raise _setup_failure("notifications/initialized", url, answer)
    tools: dict[str, Any] = {}
    cursor: str | None = None
    for _ in range(100):  # pages
        _, result = await _rpc(
            http, url, session, options.wire, "tools/list", {"cursor": cursor} if cursor else {}
        )
        for tool in result.get("tools") or []:
            if isinstance(tool, dict) and isinstance(tool.get("name"), str):
                tools[tool["name"]] = tool
        cursor = result.get("nextCursor")
        if not cursor:
            break
    if options.tool not in tools:
        known = ", ".join(sorted(tools)) or "none"
        raise LoadTestError(f"the server at {url} has no tool {options.tool!r}; its tools: {known}")
    _check_arguments(options.tool, tools[options.tool].get("inputSchema"), options.arguments)
    return session


def _check_arguments(tool: str, schema: Any, arguments: dict[str, Any]) -> None:
    if not isinstance(schema, dict):
        return
    try:
        validator = jsonschema_rs.validator_for(schema)
    except (ValueError, jsonschema_rs.ValidationError):
        return  # the server's schema is its own business; the answers will tell
    problems = [
        f"{'/'.join(str(p) for p in e.instance_path) or '(arguments)'}: {e.message}"
        for e in validator.iter_errors(arguments)
    ]
    if problems:
        raise UsageError(f"--args do not match the input schema of {tool!r}: {'; '.join(problems[:5])}")


async def _close(http: httpx.AsyncClient, url: str, session: _Session) -> None:
    """End a stateful 2025-11-25 session (best effort: the server expires it anyway)."""
    if session.session_id:
        with contextlib.suppress(httpx.HTTPError):
            await http.delete(url, headers=session.headers)


async def _one(
    http: httpx.AsyncClient, url: str, call: CallTemplate, request_id: int
) -> tuple[str | None, str]:
    try:
        response = await http.post(url, content=call.body(request_id), headers=call.headers)
    except httpx.TimeoutException as exc:
        return TIMEOUT, type(exc).__name__
    except httpx.DecodingError as exc:
        return INVALID, f"{type(exc).__name__}: {exc}"[:SAMPLE_CHARS]
    except httpx.TransportError as exc:
        return CONNECTION, f"{type(exc).__name__}: {exc}"[:SAMPLE_CHARS]
    return classify(response, request_id)


async def drive(
    url: str, options: LoadOptions, progress: Progress | None = None
) -> tuple[Stats, float, bool]:
    """The load itself: ``(stats, elapsed seconds, stateful session?)``."""
    limits = httpx.Limits(max_connections=options.concurrency, max_keepalive_connections=options.concurrency)
    async with httpx.AsyncClient(
        limits=limits, timeout=httpx.Timeout(options.timeout), trust_env=False, follow_redirects=False
    ) as http:
        session = await _open(http, url, options)
        try:
            call = CallTemplate.build(options.tool, options.arguments, options.wire, session.headers)
            stats = Stats()
            budget = options.requests or MAX_REQUESTS
            issued = 0
            start = time.perf_counter()
            deadline = start + options.duration

            pending: dict[int, float] = {}  # requests sent and not yet answered: id → when sent

            async def worker() -> None:
                nonlocal issued
                while issued < budget and time.perf_counter() < deadline:
                    issued += 1
                    request_id = issued
                    sent = pending[request_id] = time.perf_counter()
                    kind, sample = await _one(http, url, call, request_id)
                    done = time.perf_counter()
                    del pending[request_id]
                    stats.record(done - start, done - sent, kind, sample)

            async def ticker() -> None:
                assert progress is not None
                window: list[tuple[float, int]] = [(0.0, 0)]
                while True:
                    await anyio.sleep(0.25)
                    now = time.perf_counter() - start
                    window = [(t, n) for t, n in window if now - t <= 1.0] + [(now, stats.count)]
                    (t0, n0), (t1, n1) = window[0], window[-1]
                    rps = (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0
                    progress(Snapshot(now, options.duration, stats.count, stats.error_count, rps))

            # Hard stop: the in-flight requests at the deadline get at most one request timeout.
            with anyio.move_on_after(options.duration + options.timeout + 1):
                async with anyio.create_task_group() as tg:
                    if progress is not None:
                        tg.start_soon(ticker)
                    async with anyio.create_task_group() as workers:
                        for _ in range(options.concurrency):
                            workers.start_soon(worker)
                    tg.cancel_scope.cancel()
            done = time.perf_counter()
            for sent in pending.values():  # cut off by the hard stop: they count, as timeouts
                stats.record(done - start, done - sent, TIMEOUT, "cut off at the end of the run")
            elapsed = done - start
        finally:
            await _close(http, url, session)
    return stats, elapsed, session.session_id is not None


@contextmanager
def _target(target: str, options: LoadOptions) -> Iterator[tuple[str, Path | None, Path | None]]:
    """``(url, workspace, server log)``: the URL as given, or the workspace served for the run."""
    if is_url(target):
        yield check_url(target, allow_remote=options.allow_remote), None, None
        return
    workspace = Path(target)
    if not workspace.is_dir():
        raise UsageError(f"{target} is neither a workspace folder nor an http(s):// URL")
    log = workspace / STATE_DIR / "loadtest" / "server.log"
    with served.running_server(
        lambda port: served.serve_command(workspace, port, env=options.env, overrides=options.overrides),
        log,
        ready_timeout=options.ready_timeout,
        fail=lambda message: LoadTestError(message, log=log),
    ) as url:
        yield url, workspace, log


def loadtest(target: str, options: LoadOptions, progress: Progress | None = None) -> LoadReport:
    """Check the bounds, serve the workspace (or check the URL), run the load, report."""
    options.check()
    with _target(target, options) as (url, workspace, log):
        stats, elapsed, stateful = anyio.run(drive, url, options, progress)
    budget_hit = options.requests is not None and stats.count >= options.requests
    return LoadReport(
        target=url,
        workspace=workspace,
        options=options,
        elapsed=elapsed,
        stopped_by="requests" if budget_hit else "duration",
        stats=stats,
        session=stateful,
        server_log=log,
    )
