"""Describe TypeScript/JavaScript modules with the Node bridge (one subprocess per file, with a timeout).

``load_node(root, paths)`` runs ``node bridge.mjs describe ROOT REL`` for each
file (``workers`` at a time) and turns what the bridge reports into manifest
entries, the same :class:`ModuleResult` the Python loader returns. A file
that fails to load, hangs past ``timeout`` or exits becomes a diagnostic with
its file and line; the rest goes on.

Two module shapes are read:

- the mcpgen format: ``metadata = {name, description, inputSchema,
  schemaVersion: "1.0", outputSchema?, annotations?, credentials?, timeout?}``
  plus a handler ``handler(input, ctx)`` (entrypoint kind ``native``);
- the seed's original TypeScript design: ``metadata`` with ``version``,
  ``config`` or no ``inputSchema``; handler called as ``handler(input,
  config)`` (entrypoint kind ``seed``). Without an ``inputSchema`` the schema
  comes from the handler parameter's TypeScript type (:mod:`.ts_schema`).

JSDoc ``@requires-credential NAME[?] [type] [required|optional] [- description]``
tags declare credentials for every tool of the file (``NAME?`` or ``optional``: an
optional one; a description that only says "optional" is read so, with a warning); a JSDoc block with
``@tool`` gives the description when the metadata has none.

A file in ``connectors/`` is a connector in the seed's shape: a default-exported
object with ``metadata`` (``name``, ``type``, ``authentication: {type,
scopes?}``, ``credentials``, ``methods``, ``rateLimits: {requestsPerSecond |
requestsPerMinute | requestsPerHour}`` (:mod:`mcpgen.authoring.rates`),
``required?``, ``endpoint?``), ``initialize(config)``, optional
``testConnection()`` and ``disconnect()``, and its methods (entrypoint kind
``seed``, attribute ``default``). Each bad field is a diagnostic naming it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mcpgen.authoring import Credential
from mcpgen.authoring.connectors import AUTH_KINDS, CONNECTOR_NAME
from mcpgen.authoring.credentials import optional_by_wording, says_optional
from mcpgen.authoring.rates import RateLimitError, seed_rate_limit
from mcpgen.common.nodejs import BRIDGE, NodeNotFound, node_command
from mcpgen.discovery.diagnostics import Diagnostic, error, warning
from mcpgen.discovery.entries import checked_connectors, credentials, optional, tool_entry
from mcpgen.discovery.python_loader import ModuleResult
from mcpgen.discovery.scan import SourceFile
from mcpgen.manifest import ConnectorEntry, Entrypoint, SourceRef, ToolEntry

DETAIL_CHARS = 2000
SchemaDeriver = Callable[[Path, str, int], tuple[dict[str, Any] | None, str | None]]
"""``(file, source text, tool index) -> (schema or None, why not)``: the TS type → JSON Schema step."""

_JSDOC = re.compile(r"/\*\*(?P<body>.*?)\*/", re.S)
_REQUIRES = re.compile(
    r"@requires-credential\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<mark>\?)?"
    r"(?:[ \t]+(?P<kind>(?!required\b|optional\b)[A-Za-z_][\w-]*))?"
    r"(?:[ \t]+(?P<req>required|optional))?"
    r"(?:[ \t]*-[ \t]*(?P<desc>[^\n]*))?"
)
_UNSUPPORTED_TS = "ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX"
_NAME_LINE = re.compile(r"""\bname\s*:\s*(['"`])(?P<name>[^'"`]+)\1""")
_HTTP_URL = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)
_LIFECYCLE = frozenset({"initialize", "testConnection", "disconnect"})


@dataclass(frozen=True, slots=True)
class _Run:
    status: int | None
    stdout: str
    stderr: str
    timed_out: bool


def _run(root: Path, rel: str, timeout: float) -> _Run:
    """One describe subprocess; killed with its process group on timeout (always reaped)."""
    proc = subprocess.Popen(
        node_command(str(BRIDGE), "describe", str(root), rel),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=root,
        start_new_session=True,
        env={**os.environ, "NODE_NO_WARNINGS": "1"},
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            proc.kill()
        out, err = proc.communicate()
        timed_out = True
    return _Run(proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"), timed_out)


def _line_of(text: str, pattern: str) -> int | None:
    regex = re.compile(pattern)
    return next((n for n, line in enumerate(text.splitlines(), start=1) if regex.search(line)), None)


def _field_line(text: str, field: str) -> int | None:
    """The line of a dotted field (``metadata.authentication.type``): each part searched after the last."""
    lines = text.splitlines()
    found: int | None = None
    for part in field.split("."):
        regex = re.compile(rf"\b{re.escape(part)}\b")
        start = found or 1
        hit = next((n for n in range(start, len(lines) + 1) if regex.search(lines[n - 1])), None)
        found = hit if hit is not None else found
    return found


def _name_line(text: str, name: str) -> int | None:
    for n, line in enumerate(text.splitlines(), start=1):
        match = _NAME_LINE.search(line)
        if match and match.group("name") == name:
            return n
    return _line_of(text, r"\bmetadata\b|export\s+default")


def _jsdoc_tags(text: str) -> list[re.Match[str]]:
    found = []
    for block in _JSDOC.finditer(text):
        body = re.sub(r"(?m)^\s*\*[ \t]?", "", block.group("body"))
        found += list(_REQUIRES.finditer(body))
    return found


def _by_wording(m: re.Match[str]) -> bool:
    """Optional only because the description says so (no ``?``, no ``optional`` keyword)."""
    return not m.group("mark") and m.group("req") is None and says_optional(m.group("desc") or "")


def jsdoc_credentials(text: str) -> list[Credential]:
    """Credentials declared with ``@requires-credential`` JSDoc tags, in file order."""
    found: dict[str, Credential] = {}
    for m in _jsdoc_tags(text):
        optional = bool(m.group("mark")) or m.group("req") == "optional" or _by_wording(m)
        found.setdefault(
            m.group("name"),
            Credential(
                name=m.group("name"),
                kind=m.group("kind") or "secret",
                required=not optional,
                description=(m.group("desc") or "").strip(),
            ),
        )
    return list(found.values())


def jsdoc_credential_warnings(text: str, path: str) -> list[Diagnostic]:
    """A ``credential-syntax`` warning for each tag whose credential is optional by its wording only."""
    return [
        warning(
            "credential-syntax",
            optional_by_wording(m.group("name"), f"@requires-credential {m.group('name')}? - ..."),
            path,
            _line_of(text, rf"@requires-credential\s+{m.group('name')}\b"),
            m.group("name"),
        )
        for m in _jsdoc_tags(text)
        if _by_wording(m)
    ]


def jsdoc_tool_description(text: str) -> str:
    """The text of the first JSDoc block tagged ``@tool`` (tags removed)."""
    for block in _JSDOC.finditer(text):
        body = re.sub(r"(?m)^\s*\*[ \t]?", "", block.group("body"))
        if re.search(r"@tool\b", body):
            return re.split(r"(?m)^\s*@", body, maxsplit=1)[0].strip()
    return ""


def is_seed(metadata: Mapping[str, Any]) -> bool:
    """The seed's original shape: a semver ``version``, a ``config`` block, or no ``inputSchema``."""
    return "version" in metadata or "config" in metadata or "inputSchema" not in metadata


@dataclass
class _Described:
    tools: list[ToolEntry]
    seeds: dict[str, tuple[str, int | None]]
    diagnostics: list[Diagnostic]
    dependencies: dict[str, str]
    """Inline ``metadata.dependencies`` (package → range) of seed tools."""


def _entries(
    f: SourceFile, root: Path, described: list[dict[str, Any]], text: str, derive: SchemaDeriver | None
) -> _Described:
    out = _Described([], {}, jsdoc_credential_warnings(text, f.path), {})
    file_creds = jsdoc_credentials(text)
    jsdoc_desc = jsdoc_tool_description(text)
    for index, tool in enumerate(described):
        meta: dict[str, Any] = tool.get("metadata") or {}
        name = meta["name"] if isinstance(meta.get("name"), str) else ""  # none: tool_entry says so
        line = _name_line(text, name) if name else _line_of(text, r"\bmetadata\b")
        if name and not tool.get("hasHandler"):
            message = (
                f"tool {name!r} has no handler: export `handler` (or a default function) beside `metadata`"
            )
            out.diagnostics.append(error("definition-error", message, f.path, line, name))
            continue
        schema = meta.get("inputSchema")
        if name and schema is None:
            schema, why = derive(f.absolute(root), text, index) if derive is not None else (None, None)
            if schema is None:
                message = (
                    f"tool {name!r} has no inputSchema and its input type could not be turned into one "
                    f"({why or 'the handler parameter has no named TypeScript type'}); "
                    'accepting any object ({"type": "object"})'
                )
                out.diagnostics.append(warning("schema-fallback", message, f.path, line, name))
                schema = {"type": "object"}
        entrypoint = Entrypoint(
            language=f.language,
            path=f.path,
            attribute=str(tool["attribute"]),
            kind="seed" if is_seed(meta) else "native",
            takes_context=None if is_seed(meta) else tool.get("takesContext"),
        )
        spec = {**meta, "inputSchema": schema, "description": meta.get("description") or jsdoc_desc}
        entry, problems = tool_entry(spec, entrypoint, line, more_credentials=file_creds)
        out.diagnostics += problems
        if entry is None:
            continue
        out.tools.append(entry)
        version = meta.get("schemaVersion")
        if version is not None:
            out.seeds[name] = (str(version), _line_of(text, r"schemaVersion"))
        deps = meta.get("dependencies")
        if isinstance(deps, Mapping):
            out.dependencies.update({str(k): str(v) for k, v in deps.items()})
    return out


class _BadField(ValueError):
    """A connector metadata field that is wrong: ``field`` is its path (``metadata.rateLimits``)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.field = field


def _connector_entry(f: SourceFile, found: Mapping[str, Any], text: str) -> ConnectorEntry:
    """The manifest entry of one described TS/JS connector (raises :class:`_BadField`)."""
    meta = found.get("metadata")
    if not isinstance(meta, Mapping):
        raise _BadField("metadata", "is missing: the default export needs `metadata: {name, type, ...}`")
    name = meta.get("name")
    if not isinstance(name, str) or not CONNECTOR_NAME.match(name):
        raise _BadField(
            "metadata.name", f"must be letters, digits, '_' or '-' starting with a letter, got {name!r}"
        )
    functions = set(found.get("functions") or [])
    if "initialize" not in functions:
        raise _BadField(
            "initialize", "is not a function: add `async initialize(config) {...}` to the default export"
        )
    auth = meta.get("authentication")
    auth_type = auth.get("type") if isinstance(auth, Mapping) else auth
    auth_type = "none" if auth_type is None else auth_type
    if auth_type not in AUTH_KINDS:
        raise _BadField(
            "metadata.authentication.type", f"must be one of {', '.join(AUTH_KINDS)}, got {auth_type!r}"
        )
    scopes = auth.get("scopes") if isinstance(auth, Mapping) else None
    if scopes is not None and not (isinstance(scopes, list) and all(isinstance(x, str) for x in scopes)):
        raise _BadField("metadata.authentication.scopes", "must be a list of strings")
    required = meta.get("required", True)
    if not isinstance(required, bool):
        raise _BadField("metadata.required", f"must be true or false, got {required!r}")
    if not isinstance(meta.get("credentials") or [], list):
        raise _BadField("metadata.credentials", "must be a list of names or {name, description, required}")
    try:
        declared = credentials(meta.get("credentials"), "metadata.credentials")
    except ValueError as exc:
        raise _BadField("metadata.credentials", str(exc).removeprefix("metadata.credentials: ")) from None
    if auth_type != "none" and not declared:
        raise _BadField(
            "metadata.credentials", f"is empty, but authentication {auth_type!r} needs a credential"
        )
    methods = meta.get("methods")
    if methods is None:
        methods = sorted(functions - _LIFECYCLE)
    elif not (isinstance(methods, list) and all(isinstance(m, str) for m in methods)):
        raise _BadField("metadata.methods", "must be a list of method names")
    else:
        undefined = [m for m in methods if m not in functions]
        if undefined:
            raise _BadField(
                "metadata.methods", f"lists {', '.join(map(repr, undefined))}, not defined as functions"
            )
    try:
        per_minute = seed_rate_limit(meta)
    except RateLimitError as exc:
        raise _BadField(exc.field, exc.problem) from None
    endpoint = meta.get("endpoint")
    if endpoint is not None and not (isinstance(endpoint, str) and _HTTP_URL.match(endpoint)):
        raise _BadField("metadata.endpoint", f"must be an http:// or https:// URL, got {endpoint!r}")
    return ConnectorEntry(
        name=name,
        kind=str(meta.get("type") or "generic"),
        auth=auth_type,
        description=str(meta.get("description") or ""),
        required=required,
        endpoint=endpoint,
        rate_limit=per_minute,
        scopes=list(scopes or []),
        methods=list(methods),
        credentials=optional(declared, required),
        entrypoint=Entrypoint(
            language=f.language, path=f.path, attribute=str(found["attribute"]), kind="seed"
        ),
        source=SourceRef(path=f.path, line=_name_line(text, name)),
    )


def _connectors(
    f: SourceFile, described: list[dict[str, Any]], text: str
) -> tuple[list[ConnectorEntry], list[Diagnostic]]:
    if not described:
        line = _line_of(text, r"export\s+default")
        message = (
            "a TS/JS connector default-exports an object: "
            "`export default { metadata: {name, type, ...}, async initialize(config) {...}, ... }`"
        )
        return [], [error("definition-error", message, f.path, line)]
    entries: list[ConnectorEntry] = []
    diagnostics: list[Diagnostic] = []
    for found in described:
        meta = found.get("metadata")
        name = meta.get("name") if isinstance(meta, Mapping) else None
        try:
            entries.append(_connector_entry(f, found, text))
        except _BadField as exc:
            line = _field_line(text, exc.field) or _line_of(text, r"export\s+default")
            who = f"connector {name!r}" if isinstance(name, str) and name else "connector"
            diagnostics.append(
                error(
                    "definition-error", f"{who}: {exc}", f.path, line, name if isinstance(name, str) else None
                )
            )
        except (ValidationError, ValueError, TypeError) as exc:
            diagnostics.append(
                error("definition-error", f"connector {name!r}: invalid metadata: {exc}", f.path)
            )
    entries, problems = checked_connectors(entries)
    return entries, diagnostics + problems


def _failure(f: SourceFile, message: dict[str, Any], detail: str | None) -> Diagnostic:
    code = message.get("code")
    text = str(message.get("message"))
    line = message.get("line")
    if code == _UNSUPPORTED_TS:
        hint = (
            "Node runs TypeScript by stripping types; enums, namespaces, parameter properties and "
            "`import x = require()` need code generation (--experimental-transform-types), which mcpgen "
            "does not enable: use a union of string literals or a plain object instead"
        )
        return error("unsupported-typescript", f"{text}. {hint}", f.path, line, detail=detail)
    if message.get("exit"):
        return error("system-exit", f"{text} while importing", f.path, line, detail=detail)
    if code == "ERR_MODULE_NOT_FOUND" and "Cannot find package" in text:
        missing = re.search(r"Cannot find package '([^']+)'", text)
        package = missing.group(1) if missing else "?"
        hint = f"declare {package!r} in tools/package.json; mcpgen installs it into tools/node_modules"
        return error("missing-package", f"{text}; {hint}", f.path, line, detail=detail)
    if str(message.get("name")) == "SyntaxError" or code == "ERR_INVALID_TYPESCRIPT_SYNTAX":
        return error("syntax-error", text, f.path, line, detail=detail)
    if message.get("name") == "DefinitionError":
        return error("definition-error", text, f.path, line, detail=detail)
    return error(
        "import-error", f"{message.get('name')} while importing: {text}", f.path, line, detail=detail
    )


def _parse(stdout: str, rel: str) -> dict[str, Any] | None:
    for raw in reversed(stdout.splitlines()):
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("path") == rel:
            return message
    return None


@dataclass
class NodeModuleResult(ModuleResult):
    npm_dependencies: dict[str, str] | None = None


def describe_file(
    root: Path, f: SourceFile, timeout: float, derive: SchemaDeriver | None = None
) -> NodeModuleResult:
    result = NodeModuleResult(f.path)
    try:
        run = _run(root, f.path, timeout)
    except (NodeNotFound, OSError) as exc:
        result.diagnostics.append(error("node-unavailable", str(exc), f.path))
        return result
    detail = run.stderr.strip()[-DETAIL_CHARS:] or None
    if run.timed_out:
        why = f"loading took longer than {timeout:g}s; the Node process was killed"
        result.diagnostics.append(error("timeout", why, f.path, detail=detail))
        return result
    message = _parse(run.stdout, f.path)
    if message is None:
        status = f"status {run.status}" if run.status is not None and run.status >= 0 else "a signal"
        text = f"the Node process ended with {status} without describing this module"
        result.diagnostics.append(error("worker-crash", text, f.path, detail=detail))
        return result
    if not message.get("ok"):
        result.diagnostics.append(_failure(f, message, detail))
        return result
    source = f.absolute(root).read_text(encoding="utf-8", errors="replace")
    if f.kind == "connectors":
        result.connectors, result.diagnostics = _connectors(f, list(message.get("connectors") or []), source)
        return result
    described = _entries(f, root, list(message.get("tools") or []), source, derive)
    result.tools = described.tools
    result.seed_versions = described.seeds
    result.diagnostics = described.diagnostics
    result.npm_dependencies = described.dependencies
    return result


def load_node(
    root: Path,
    files: Sequence[SourceFile],
    *,
    timeout: float = 10.0,
    workers: int = 2,
    derive: SchemaDeriver | None = None,
) -> list[NodeModuleResult]:
    """Describe every TS/JS file (``workers`` subprocesses at a time); results in input order."""
    if not files:
        return []
    root = root.resolve()
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="node-describe") as pool:
        return list(pool.map(lambda f: describe_file(root, f, timeout, derive), files))
