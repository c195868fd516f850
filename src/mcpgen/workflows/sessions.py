"""Record a client's session with a served workspace, and replay it later as a regression check.

Recording is a tap: ASGI middleware in front of the app (:class:`SessionTap`) that copies every
``POST /mcp`` — the JSON-RPC message the client sent, the few headers that matter for the protocol
(``MCP-Protocol-Version``, ``Mcp-Session-Id``, ``Mcp-Method``/``Mcp-Name``, ``Mcp-Param-*``) and the
answer, plain JSON or the messages of an SSE stream — to a JSON Lines file, one exchange a line,
in the order they finished. Secrets are masked before anything is written (:func:`scrub`):
``Authorization``, ``Cookie`` and API-key headers, every known secret value (the workspace's
credentials and config secrets) wherever it appears, and string values under keys named like a
secret (``api_key``, ``token``, ``password`` …).

The file::

    {"type": "header", "format": "mcpgen-session", "version": 1, "server": "my-server", ...}
    {"type": "exchange", "seq": 1, "headers": {...}, "request": {...}, "status": 200, "response": {...},
     "notifications": [...]}

Replaying (:func:`replay_session`) sends each recorded request, with its headers, to a fresh server
(a new ``Mcp-Session-Id`` stands in for the recorded one) and compares each answer with the
recorded one — a string the recording has masked matches any original of that mask — after
removing the volatile parts: the paths in :data:`DEFAULT_IGNORE` and the
caller's ``ignore`` patterns (JSON-pointer-like, ``*`` one segment, ``**`` any number). Lines are
written as answers finish; ``seq`` numbers the requests as they arrived, which is the order of
replay. Server notifications are recorded but not compared (log lines and progress vary from run to run).
"""

from __future__ import annotations

import datetime as dt
import difflib
import fnmatch
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcpgen._version import __version__
from mcpgen.common.masking import HIDDEN, mask
from mcpgen.errors import McpgenError, UsageError
from mcpgen.runtime.background import replaying
from mcpgen.workflows.local import LocalServer, serve_in_process
from mcpgen.workflows.project import load_project

FORMAT = "mcpgen-session"
VERSION = 1

DEFAULT_IGNORE: tuple[str, ...] = (
    "/result/serverInfo/version",
    "/result/_meta/io.modelcontextprotocol~1serverInfo/version",
    "/**/_meta/traceparent",
    "/**/_meta/requestId",
)
"""Volatile on every server: its own version (a release must not fail old recordings) and per-request ids."""

_KEPT_HEADERS = ("mcp-protocol-version", "mcp-session-id", "mcp-method", "mcp-name", "accept", "content-type")
_SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie", "x-api-key", "api-key")
_SECRET_KEY = re.compile(
    r"(^|[_\-.])(api[_\-]?key|apikey|token|access[_\-]?token|secret|password|passwd|authorization|credentials?)($|[_\-.])",
    re.IGNORECASE,
)
_MIN_SECRET = 4


class SessionError(McpgenError):
    """A session file that cannot be read: names the file and line."""

    def __init__(self, message: str, *, path: Path, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


# -- masking --------------------------------------------------------------------------------------


class Scrubber:
    """Masks secrets in recorded messages: known values anywhere, strings under secret-looking keys."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._values = sorted({s for s in secrets if len(s) >= _MIN_SECRET}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._values:
            if secret in value:
                value = value.replace(secret, mask(secret))
        return value

    def __call__(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, str):
            return mask(value) if key is not None and _SECRET_KEY.search(key) else self.text(value)
        if isinstance(value, dict):
            return {k: self(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v, key) for v in value]
        return value

    def headers(self, headers: Iterable[tuple[str, str]]) -> dict[str, str]:
        kept: dict[str, str] = {}
        for name, value in headers:
            name = name.lower()
            if name in _SECRET_HEADERS:
                scheme, _, credential = value.partition(" ")
                kept[name] = f"{scheme} {mask(credential)}" if credential else mask(value)
            elif name in _KEPT_HEADERS or name.startswith("mcp-param-"):
                kept[name] = self.text(value)
        return kept


def scrub(value: Any, secrets: Iterable[str] = ()) -> Any:
    """``value`` (a JSON-like structure) with the secrets masked (see :class:`Scrubber`)."""
    return Scrubber(secrets)(value)


# -- the wire ---------------------------------------------------------------------------------------


def sse_messages(body: bytes) -> list[Any]:
    """The JSON messages in the ``data:`` fields of an SSE body (events without data are skipped)."""
    messages: list[Any] = []
    for event in body.decode("utf-8", "replace").replace("\r\n", "\n").split("\n\n"):
        data = "\n".join(line[5:].lstrip() for line in event.split("\n") if line.startswith("data:"))
        if data.strip():
            try:
                messages.append(json.loads(data))
            except ValueError:
                messages.append({"unparsed": data})
    return messages


def answer_of(request: Any, content_type: str, body: bytes) -> tuple[Any, list[Any]]:
    """``(response, notifications)`` of an HTTP answer to ``request`` (JSON or SSE; empty: ``None``)."""
    if not body.strip():
        return None, []
    if content_type.startswith("text/event-stream"):
        messages = sse_messages(body)
    else:
        try:
            messages = [json.loads(body)]
        except ValueError:
            return {"unparsed": body.decode("utf-8", "replace")}, []
    request_id = request.get("id") if isinstance(request, dict) else None
    responses = [m for m in messages if isinstance(m, dict | list) and _is_answer(m, request_id)]
    response = responses[-1] if responses else None
    return response, [m for m in messages if m is not response]


def _is_answer(message: Any, request_id: Any) -> bool:
    if isinstance(message, list):  # a batch answer
        return True
    return ("result" in message or "error" in message) and message.get("id") == request_id


# -- recording -------------------------------------------------------------------------------------


@dataclass
class Exchange:
    """One recorded request and its answer."""

    seq: int
    request: Any
    headers: dict[str, str]
    status: int
    response: Any
    notifications: list[Any] = field(default_factory=list)
    line: int | None = None
    """Where it was read from (replay)."""

    @property
    def method(self) -> str:
        return str(self.request.get("method", "?")) if isinstance(self.request, dict) else "batch"

    @property
    def label(self) -> str:
        """``#3 tools/call greet`` — how a report names the request."""
        label = f"#{self.seq} {self.method}"
        params = self.request.get("params") if isinstance(self.request, dict) else None
        if isinstance(params, dict):
            target = params.get("name") or params.get("uri")
            if isinstance(target, str):
                label += f" {target}"
        return label

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "exchange",
            "seq": self.seq,
            "headers": self.headers,
            "request": self.request,
            "status": self.status,
            "response": self.response,
            "notifications": self.notifications,
        }


class SessionWriter:
    """Appends exchanges to a JSON Lines file as they happen (flushed: an interrupted recording keeps them)."""

    def __init__(self, out: IO[str], *, server: str = "", secrets: Iterable[str] = ()) -> None:
        self._out = out
        self._lock = threading.Lock()
        self.scrubber = Scrubber(secrets)
        self.count = 0
        self._next_seq = 0
        header = {
            "type": "header",
            "format": FORMAT,
            "version": VERSION,
            "server": server,
            "mcpgen": __version__,
            "recorded": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        self._write(header)

    def _write(self, record: Mapping[str, Any]) -> None:
        self._out.write(json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n")
        self._out.flush()

    def next_seq(self) -> int:
        """The number of a request that just arrived (exchanges are numbered by arrival, written when done)."""
        with self._lock:
            self._next_seq += 1
            return self._next_seq

    def add(
        self,
        request: Any,
        headers: Iterable[tuple[str, str]],
        status: int,
        content_type: str,
        body: bytes,
        *,
        seq: int | None = None,
    ) -> Exchange:
        response, notifications = answer_of(request, content_type, body)
        scrub_value = self.scrubber
        seq = self.next_seq() if seq is None else seq
        with self._lock:
            self.count += 1
            exchange = Exchange(
                seq=seq,
                request=scrub_value(request),
                headers=scrub_value.headers(headers),
                status=status,
                response=scrub_value(response),
                notifications=scrub_value(notifications),
            )
            self._write(exchange.to_json())
        return exchange


class SessionTap:
    """ASGI middleware: every ``POST`` to ``path`` and its answer go to ``writer`` (the app is unchanged)."""

    def __init__(self, app: ASGIApp, writer: SessionWriter, *, path: str = "/mcp") -> None:
        self.app = app
        self.writer = writer
        self.path = path.rstrip("/")
        self.on_exchange: Callable[[Exchange], None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        body = b"".join(chunks)
        seq = self.writer.next_seq()

        status, content_type, answer = 500, "", bytearray()

        async def tap(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        content_type = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                answer.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replaying(body, receive), tap)
        finally:
            try:
                request: Any = json.loads(body)
            except ValueError:
                request = {"unparsed": body.decode("utf-8", "replace")}
            headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])]
            exchange = self.writer.add(request, headers, status, content_type, bytes(answer), seq=seq)
            if self.on_exchange is not None:
                self.on_exchange(exchange)


# -- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    path: Path
    header: dict[str, Any]
    exchanges: list[Exchange]


def read_session(path: Path) -> Session:
    """Read a session file; a bad line raises :class:`SessionError` naming the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SessionError(f"cannot read the session file: {exc.strerror or exc}", path=path) from exc
    header: dict[str, Any] | None = None
    exchanges: list[Exchange] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise SessionError(f"not JSON ({exc})", path=path, line=number) from exc
        kind = record.get("type") if isinstance(record, dict) else None
        if kind == "header":
            if record.get("format") != FORMAT or record.get("version") != VERSION:
                raise SessionError(
                    f"not an {FORMAT} v{VERSION} file (format {record.get('format')!r}, "
                    f"version {record.get('version')!r})",
                    path=path,
                    line=number,
                )
            header = record
        elif kind == "exchange":
            if header is None:
                raise SessionError("an exchange before the header line", path=path, line=number)
            missing = [k for k in ("request", "status") if k not in record]
            if missing:
                raise SessionError(f"exchange without {', '.join(missing)}", path=path, line=number)
            exchanges.append(
                Exchange(
                    seq=int(record.get("seq", len(exchanges) + 1)),
                    request=record["request"],
                    headers={str(k).lower(): str(v) for k, v in (record.get("headers") or {}).items()},
                    status=int(record["status"]),
                    response=record.get("response"),
                    notifications=list(record.get("notifications") or []),
                    line=number,
                )
            )
        else:
            raise SessionError(
                f"unknown record type {kind!r} (expected header or exchange)", path=path, line=number
            )
    if header is None:
        raise SessionError(f"no header line: not an {FORMAT} file", path=path)
    # Written as each answer finished; replayed in the order the requests arrived.
    return Session(path, header, sorted(exchanges, key=lambda e: e.seq))


# -- comparing -------------------------------------------------------------------------------------


def _segments(pattern: str) -> list[str]:
    if not pattern.startswith("/"):
        raise ValueError(f"ignore pattern {pattern!r} must start with / (like /result/content/0/text)")
    return [s.replace("~1", "/").replace("~0", "~") for s in pattern.split("/")[1:]]


def _drop(value: Any, segments: Sequence[str]) -> Any:
    """``value`` without the parts matching ``segments`` (``*``: any one key or index, ``**``: any depth)."""
    if not segments:
        return _DROPPED
    head, rest = segments[0], segments[1:]
    if head == "**":
        value = _drop(value, rest)  # zero segments
        if value is _DROPPED:
            return value
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if head == "**":
                kept = _drop(item, segments)
            elif fnmatch.fnmatchcase(key, head):
                kept = _drop(item, rest)
            else:
                kept = item
            if kept is not _DROPPED:
                out[key] = kept
        return out
    if isinstance(value, list):
        items = []
        for index, item in enumerate(value):
            if head == "**":
                kept = _drop(item, segments)
            elif fnmatch.fnmatchcase(str(index), head):
                kept = _drop(item, rest)
            else:
                kept = item
            items.append(None if kept is _DROPPED else kept)  # keep positions: later indices still line up
        return items
    return value


_DROPPED: Any = object()


def without(value: Any, patterns: Iterable[str]) -> Any:
    """``value`` with every part matching one of ``patterns`` removed."""
    for pattern in patterns:
        value = _drop(value, _segments(pattern))
        if value is _DROPPED:
            return None
    return value


def _pretty(value: Any) -> list[str]:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


@dataclass(frozen=True)
class Mismatch:
    exchange: Exchange
    recorded: Any
    replayed: Any
    diff: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.exchange.seq,
            "line": self.exchange.line,
            "request": self.exchange.label,
            "method": self.exchange.method,
            "recorded": self.recorded,
            "replayed": self.replayed,
            "diff": self.diff,
        }


@dataclass(frozen=True)
class ReplayReport:
    session: Path
    exchanges: int
    mismatches: list[Mismatch]
    ignored: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "session": str(self.session),
            "exchanges": self.exchanges,
            "ignored": list(self.ignored),
            "mismatches": [m.to_json() for m in self.mismatches],
        }

    def describe(self) -> str:
        """A readable report: one block per mismatching request with a unified diff."""
        if self.ok:
            return f"{self.session}: {self.exchanges} exchange(s) replayed, every answer matches"
        lines = [f"{self.session}: {len(self.mismatches)} of {self.exchanges} answer(s) differ"]
        for m in self.mismatches:
            where = f" (line {m.exchange.line})" if m.exchange.line is not None else ""
            lines.append(f"\n{m.exchange.label}{where}:")
            lines += [f"  {line}" for line in m.diff]
        return "\n".join(lines)


_MASKED = re.compile(rf"(\S{{0,2}})…(\S{{0,2}})|{re.escape(HIDDEN)}")


def _masked_pattern(recorded: str) -> re.Pattern[str] | None:
    """A recorded string with masked parts as a pattern their originals match (``None``: nothing masked)."""
    parts, end = [], 0
    for m in _MASKED.finditer(recorded):
        parts.append(re.escape(recorded[end : m.start()]))
        parts.append(f"{re.escape(m[1])}.+?{re.escape(m[2])}" if m[0] != HIDDEN else ".+?")
        end = m.end()
    if not parts:
        return None
    return re.compile("".join(parts) + re.escape(recorded[end:]), re.DOTALL)


def unmasked_as_recorded(recorded: Any, replayed: Any) -> Any:
    """``replayed`` where each string that matches a masked recorded string is the recorded one.

    The server answers with the real secret where the recording has its mask: that is a match, and
    the secret must not reach a diff.
    """
    if isinstance(recorded, str) and isinstance(replayed, str) and recorded != replayed:
        pattern = _masked_pattern(recorded)
        return recorded if pattern is not None and pattern.fullmatch(replayed) else replayed
    if isinstance(recorded, dict) and isinstance(replayed, dict):
        return {k: unmasked_as_recorded(recorded.get(k), v) for k, v in replayed.items()}
    if isinstance(recorded, list) and isinstance(replayed, list):
        return [unmasked_as_recorded(r, v) for r, v in zip(recorded, replayed, strict=False)] + replayed[
            len(recorded) :
        ]
    return replayed


def compare(exchange: Exchange, status: int, response: Any, ignore: Sequence[str]) -> Mismatch | None:
    recorded = {"status": exchange.status, "response": without(exchange.response, ignore)}
    replayed = {
        "status": status,
        "response": unmasked_as_recorded(recorded["response"], without(response, ignore)),
    }
    if recorded == replayed:
        return None
    diff = list(
        difflib.unified_diff(_pretty(recorded), _pretty(replayed), "recorded", "replayed", lineterm="", n=2)
    )
    return Mismatch(exchange, recorded["response"], replayed["response"], diff)


# -- replaying -------------------------------------------------------------------------------------


def _ignore_patterns(ignore: Iterable[str], defaults: bool) -> tuple[str, ...]:
    patterns = (*(DEFAULT_IGNORE if defaults else ()), *ignore)
    for pattern in patterns:
        try:
            _segments(pattern)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    return patterns


def replay_session(
    session: Session,
    mcp_url: str,
    *,
    ignore: Iterable[str] = (),
    default_ignore: bool = True,
    headers: Mapping[str, str] | None = None,
    secrets: Iterable[str] = (),
    timeout: float = 60.0,
) -> ReplayReport:
    """Send each recorded request to ``mcp_url`` in order; compare the answers (see the module docstring).

    ``headers`` are added to every request (e.g. ``Authorization`` for a server with API keys: the
    recorded one is masked).
    """
    import httpx

    patterns = _ignore_patterns(ignore, default_ignore)
    scrubber = Scrubber(secrets)  # the recorded answers were masked with the same rule
    mismatches: list[Mismatch] = []
    session_id: str | None = None
    with httpx.Client(timeout=timeout) as http:
        for exchange in session.exchanges:
            sent = {k: v for k, v in exchange.headers.items() if k not in _SECRET_HEADERS}
            sent.setdefault("content-type", "application/json")
            sent.setdefault("accept", "application/json, text/event-stream")
            if "mcp-session-id" in sent:
                if session_id is None:
                    sent.pop("mcp-session-id")
                else:
                    sent["mcp-session-id"] = session_id
            sent.update(headers or {})
            answer = http.post(mcp_url, content=json.dumps(exchange.request).encode(), headers=sent)
            session_id = answer.headers.get("mcp-session-id", session_id)
            response, _ = answer_of(exchange.request, answer.headers.get("content-type", ""), answer.content)
            mismatch = compare(exchange, answer.status_code, scrubber(response), patterns)
            if mismatch is not None:
                mismatches.append(mismatch)
    return ReplayReport(session.path, len(session.exchanges), mismatches, patterns)


def replay(
    path: Path,
    root: Path,
    *,
    ignore: Iterable[str] = (),
    default_ignore: bool = True,
    headers: Mapping[str, str] | None = None,
    overrides: Sequence[str] = (),
    env: str | None = None,
    url: str | None = None,
) -> ReplayReport:
    """``mcpgen replay``: read the session, serve the workspace afresh (in-process), replay, stop.

    With ``url`` (a server's ``/mcp`` endpoint), replay against that server instead of starting one.
    """
    session = read_session(path)
    _ignore_patterns(ignore, default_ignore)  # a bad pattern fails before the server starts
    if url is not None:
        if not url.startswith(("http://", "https://")):
            raise UsageError(f"--url {url!r}: expected an http:// or https:// URL of the /mcp endpoint")
        return replay_session(session, url, ignore=ignore, default_ignore=default_ignore, headers=headers)
    server = serve_in_process(root, overrides=overrides, env=env)
    try:
        return replay_session(
            session,
            server.mcp_url,
            ignore=ignore,
            default_ignore=default_ignore,
            headers=headers,
            secrets=server.secrets,
        )
    finally:
        server.stop()


@dataclass
class Recording:
    """A running recording: where the client connects, how many exchanges so far, how to stop."""

    server: LocalServer
    writer: SessionWriter
    out: Path
    _file: IO[str]

    @property
    def mcp_url(self) -> str:
        return self.server.mcp_url

    def stop(self) -> int:
        """Stop the server and close the file; returns the number of exchanges recorded."""
        try:
            self.server.stop()
        finally:
            self._file.close()
        return self.writer.count


def start_recording(
    root: Path,
    out: Path,
    *,
    port: int = 0,
    overrides: Sequence[str] = (),
    env: str | None = None,
    on_exchange: Callable[[Exchange], None] | None = None,
) -> Recording:
    """``mcpgen record``: serve the workspace on 127.0.0.1:``port`` with a tap writing to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    file = out.open("w", encoding="utf-8")
    try:
        writer = SessionWriter(file, server=load_project(root).file.name)

        def wrap(app: ASGIApp) -> ASGIApp:
            tap = SessionTap(app, writer)
            tap.on_exchange = on_exchange
            return tap

        server = serve_in_process(root, overrides=overrides, env=env, port=port, wrap=wrap)
    except BaseException:
        file.close()
        raise
    writer.scrubber = Scrubber(server.secrets)  # known once the workspace's config is read
    return Recording(server, writer, out, file)


# -- recording stdio -------------------------------------------------------------------------------

_STDIO_SESSION = "stdio"
"""Stands in for ``Mcp-Session-Id`` on 2025 requests after ``initialize``: replay over HTTP sends the real one."""


class StdioHeaders:
    """The HTTP headers a stdio message would have carried, so a stdio session replays over HTTP."""

    def __init__(self) -> None:
        self.version: str | None = None
        """The protocol version ``initialize`` negotiated (2025 wires)."""

    def of(self, message: Any) -> list[tuple[str, str]]:
        headers = [("content-type", "application/json"), ("accept", "application/json, text/event-stream")]
        if not isinstance(message, dict):
            return headers
        params: dict[str, Any] = message["params"] if isinstance(message.get("params"), dict) else {}
        meta: dict[str, Any] = params["_meta"] if isinstance(params.get("_meta"), dict) else {}
        modern = meta.get("io.modelcontextprotocol/protocolVersion")
        if isinstance(modern, str):
            headers += [("mcp-protocol-version", modern), ("mcp-method", str(message.get("method", "")))]
            target = params.get("name") or params.get("uri")
            if isinstance(target, str):
                headers.append(("mcp-name", target))
        elif self.version is not None and message.get("method") != "initialize":
            headers += [("mcp-protocol-version", self.version), ("mcp-session-id", _STDIO_SESSION)]
        return headers

    def answered(self, request: Any, response: Any) -> None:
        if isinstance(request, dict) and request.get("method") == "initialize" and isinstance(response, dict):
            result = response.get("result")
            if isinstance(result, dict) and isinstance(result.get("protocolVersion"), str):
                self.version = result["protocolVersion"]


def record_stdio(
    root: Path,
    out: Path,
    client_in: IO[bytes],
    client_out: IO[bytes],
    *,
    env: str | None = None,
    overrides: Sequence[str] = (),
    on_exchange: Callable[[Exchange], None] | None = None,
) -> int:
    """Serve the workspace over stdio to the client on ``client_in``/``client_out``, recording each exchange.

    Runs ``python -m mcpgen serve ROOT --transport stdio`` as a child and passes every line through
    both ways unchanged; a request is written to ``out`` when its answer comes back (notifications
    from the client at once). Returns when the client closes its end; the number of exchanges.
    """
    import subprocess
    import sys

    from mcpgen.runtime.credentials import credential_values
    from mcpgen.workflows.serve import ServeOptions, configure, prepare

    source = prepare(root, None)
    manifest, root = source.manifest, source.root
    environ = dict(os.environ)
    ready = configure(
        manifest, root, ServeOptions(transport="stdio", overrides=tuple(overrides), env=env), environ
    )
    secrets = (*credential_values(ready.manifest, environ), *ready.settings.secret_values)
    command = [sys.executable, "-m", "mcpgen", "serve", str(root), "--transport", "stdio"]
    command += [arg for item in overrides for arg in ("--set", item)] + (["--env", env] if env else [])
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as file:
        writer = SessionWriter(file, server=manifest.server.name, secrets=secrets)
        headers = StdioHeaders()
        pending: dict[Any, tuple[int, Any, list[tuple[str, str]]]] = {}
        lock = threading.Lock()
        child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert child.stdin is not None
        assert child.stdout is not None

        def record(request: Any, sent: list[tuple[str, str]], seq: int, status: int, answer: bytes) -> None:
            exchange = writer.add(request, sent, status, "application/json", answer, seq=seq)
            if on_exchange is not None:
                on_exchange(exchange)

        def from_client() -> None:
            assert child.stdin is not None
            for line in iter(client_in.readline, b""):
                try:
                    message = json.loads(line)
                except ValueError:
                    message = None
                if isinstance(message, dict) and "method" in message:
                    seq, sent = writer.next_seq(), headers.of(message)
                    if "id" in message:
                        with lock:
                            pending[message["id"]] = (seq, message, sent)
                    else:
                        record(message, sent, seq, 202, b"")
                child.stdin.write(line)
                child.stdin.flush()
            child.stdin.close()

        pump = threading.Thread(target=from_client, name="mcpgen-record-stdin", daemon=True)
        pump.start()
        for line in iter(child.stdout.readline, b""):
            client_out.write(line)
            client_out.flush()
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if (
                isinstance(message, dict)
                and "method" not in message
                and ("result" in message or "error" in message)
            ):
                with lock:
                    found = pending.pop(message.get("id"), None)
                if found is not None:
                    seq, request, sent = found
                    headers.answered(request, message)
                    record(request, sent, seq, 200, line)
        child.wait()
        return writer.count
