"""OpenAPI specs in ``openapi/`` as tools: one per operation (pure but for reading the files).

Each ``openapi/<api>.json``, ``.yaml`` or ``.yml`` (OpenAPI 3.0 or 3.1) becomes tools:

- the name is the ``operationId`` made a valid MCP tool name (anything but letters, digits,
  ``_``, ``-`` and ``.`` becomes ``_``), else ``<method>_<path words>``; a name taken
  by an earlier operation gets ``_2``, ``_3``…; ``prefix`` (mcpgen.yaml) is put in front;
- the input schema holds the path, query, header and cookie parameters and the JSON (or
  form) request body: an object body's properties become arguments of their own when no
  parameter has their name, any other body is one ``body`` argument; ``$ref``\\ s are
  inlined (:mod:`mcpgen.discovery.openapi_schema`);
- annotations from the method (``GET``/``HEAD`` read-only, ``PUT``/``DELETE``
  idempotent, ``DELETE`` destructive; every one open-world);
- the security schemes the operation accepts (API key in a header, query or cookie;
  HTTP bearer, OAuth 2 or OpenID Connect as a bearer token; HTTP basic) become credentials
  named ``<API>_<SCHEME>`` (``PETS_API_KEY``), so ``mcpgen credentials`` asks for them.

What the runtime needs to make the request is written into the entry
(:class:`~mcpgen.manifest.HttpOperation`), so the spec is never read at run time. A spec
that cannot be used is one diagnostic naming the file, the line and the JSON pointer; an
operation that cannot be used is one diagnostic and is skipped; the other files and
operations go on.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from mcpgen.authoring import Credential
from mcpgen.config.reader import parse_yaml
from mcpgen.discovery.diagnostics import Diagnostic, error, warning
from mcpgen.discovery.openapi_schema import RefError, Resolver, pointer
from mcpgen.errors import ConfigError
from mcpgen.manifest import Entrypoint, HttpAuth, HttpOperation, HttpParameter, SourceRef, ToolEntry

FOLDER = "openapi"
SUFFIXES = (".json", ".yaml", ".yml")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_BYTES = 32 * 1024 * 1024
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")
_WORDS = re.compile(r"[A-Za-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
_MAX_NAME = 128


@dataclass(frozen=True, slots=True)
class OpenApiOptions:
    """How one spec becomes tools (``openapi.<api>`` in mcpgen.yaml); every filter is optional.

    An operation is kept when it has one of ``include_tags`` (if any are given) and a path
    matching one of ``include_paths`` (globs, if any), and none of the ``exclude_*``.
    ``source_url`` is where the spec was fetched from (relative server URLs resolve against it).
    """

    include_tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    include_paths: tuple[str, ...] = ()
    exclude_paths: tuple[str, ...] = ()
    prefix: str = ""
    source_url: str | None = None

    def keeps(self, path: str, tags: Sequence[str]) -> bool:
        if self.include_tags and not set(tags) & set(self.include_tags):
            return False
        if set(tags) & set(self.exclude_tags):
            return False
        if self.include_paths and not any(fnmatch.fnmatchcase(path, g) for g in self.include_paths):
            return False
        return not any(fnmatch.fnmatchcase(path, g) for g in self.exclude_paths)


def spec_files(root: Path) -> list[Path]:
    """The spec files of ``openapi/`` (hidden and ``_``-prefixed names skipped), sorted."""
    folder = root / FOLDER
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix in SUFFIXES and not p.name.startswith((".", "_"))
    )


def load_openapi(
    root: Path, options: Mapping[str, OpenApiOptions] | None = None
) -> tuple[list[ToolEntry], list[Diagnostic]]:
    """The tools of every spec in ``root/openapi/`` and every problem found."""
    options = options or {}
    tools: list[ToolEntry] = []
    diagnostics: list[Diagnostic] = []
    found = set()
    for file in spec_files(root):
        api = file.stem
        found.add(api)
        rel = file.relative_to(root).as_posix()
        spec = _Spec.read(file, rel, api, options.get(api, OpenApiOptions()))
        diagnostics += spec.diagnostics
        if spec.document is not None:
            entries = spec.tools()
            tools += entries
            diagnostics += spec.diagnostics
            if not entries and not spec.diagnostics:
                diagnostics.append(
                    warning("no-definitions", "the spec has no operations (after filters)", rel)
                )
    for api in sorted(set(options) - found):
        diagnostics.append(
            error(
                "openapi-missing",
                f"mcpgen.yaml configures openapi.{api} but there is no openapi/{api}.json, .yaml or .yml "
                "(run `mcpgen manifest` to fetch a spec from its url)",
                "mcpgen.yaml",
            )
        )
    return tools, diagnostics


def api_credential(api: str, scheme: str) -> str:
    """The credential a security scheme of ``api`` reads: ``PETS_API_KEY`` for ``pets`` and ``api_key``."""
    words = [*_words(api), *_words(scheme)]
    return "_".join(w.upper() for w in words)


def _words(text: str) -> list[str]:
    return _WORDS.findall(_CAMEL.sub("_", text).replace("_", " "))


def tool_name(raw: str, taken: set[str], prefix: str = "") -> str:
    """``raw`` as a unique MCP tool name (``prefix`` in front; ``_2``, ``_3``… when taken)."""
    base = _NAME_CHARS.sub("_", f"{prefix}{raw}").strip("_") or "operation"
    base = base[:_MAX_NAME]
    name, n = base, 1
    while name in taken:
        n += 1
        suffix = f"_{n}"
        name = base[: _MAX_NAME - len(suffix)] + suffix
    taken.add(name)
    return name


class _Spec:
    """One spec file being turned into tools; collects its diagnostics."""

    def __init__(
        self, rel: str, api: str, options: OpenApiOptions, document: dict[str, Any] | None, lines: Any
    ) -> None:
        self.rel = rel
        self.api = api
        self.options = options
        self.document = document
        self.lines: dict[tuple[str, ...], int] = lines
        self.diagnostics: list[Diagnostic] = []
        self.resolver = Resolver(document or {}, str((document or {}).get("openapi", "3.1")))

    @classmethod
    def read(cls, file: Path, rel: str, api: str, options: OpenApiOptions) -> _Spec:
        try:
            if file.stat().st_size > MAX_BYTES:
                raise ValueError(f"larger than {MAX_BYTES} bytes")
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            spec = cls(rel, api, options, None, {})
            spec.problem("openapi-invalid", f"cannot read the spec: {exc}", None)
            return spec
        document, lines, failure = _parse(text, file, rel)
        if document is None:
            spec = cls(rel, api, options, None, {})
            message, line = failure
            spec.diagnostics.append(
                error("openapi-invalid", f"the spec does not parse: {message}", rel, line)
            )
            return spec
        spec = cls(rel, api, options, document, lines)
        version = document.get("openapi")
        if not (isinstance(version, str) and re.match(r"^3\.[01]\.", version + ".")):
            what = "a Swagger 2.0 document" if "swagger" in document else f"openapi: {version!r}"
            at = "/swagger" if "swagger" in document else "/openapi"
            spec.problem("openapi-invalid", f"{what} is not supported (OpenAPI 3.0 and 3.1 are)", at)
            spec.document = None
        elif not isinstance(document.get("paths", {}), Mapping):
            spec.problem("openapi-invalid", "paths must be a map of path → operations", "/paths")
            spec.document = None
        return spec

    # diagnostics -----------------------------------------------------------

    def line(self, at: str | None) -> int | None:
        if not at:
            return None
        tokens = tuple(t.replace("~1", "/").replace("~0", "~") for t in at.split("/")[1:])
        for end in range(len(tokens), 0, -1):
            if tokens[:end] in self.lines:
                return self.lines[tokens[:end]]
        return None

    def problem(
        self, code: str, message: str, at: str | None, name: str | None = None, *, warn: bool = False
    ) -> None:
        where = f" (at {at})" if at else ""
        make = warning if warn else error
        self.diagnostics.append(make(code, f"{message}{where}", self.rel, self.line(at), name))

    # operations → tools ----------------------------------------------------

    def tools(self) -> list[ToolEntry]:
        assert self.document is not None
        self.diagnostics = []
        taken: set[str] = set()
        entries: list[ToolEntry] = []
        for path, item in (self.document.get("paths") or {}).items():
            at_path = pointer("paths", path)
            if not isinstance(item, Mapping):
                self.problem("openapi-invalid", f"path {path!r} is not a map of operations", at_path)
                continue
            try:
                item = self.resolver.node(item, at_path)
            except RefError as exc:
                self.problem("openapi-invalid", exc.message, exc.pointer)
                continue
            for method in METHODS:
                operation = item.get(method)
                if not isinstance(operation, Mapping):
                    continue
                tags = [str(t) for t in operation.get("tags") or []]
                if not self.options.keeps(path, tags):
                    continue
                entry = self._tool(path, method, item, operation, taken)
                if entry is not None:
                    entries.append(entry)
        for problem in self.resolver.problems:
            self.problem("openapi-ref", problem.message, problem.pointer, warn=True)
        return entries

    def _tool(
        self, path: str, method: str, item: Mapping[str, Any], operation: Mapping[str, Any], taken: set[str]
    ) -> ToolEntry | None:
        at = pointer("paths", path, method)
        op_id = operation.get("operationId")
        raw = op_id if isinstance(op_id, str) and op_id else "_".join([method, *_WORDS.findall(path)])
        name = tool_name(raw, taken, self.options.prefix)
        try:
            schema, parameters, body = self._inputs(item, operation, pointer("paths", path), at)
        except RefError as exc:
            self.problem(
                "openapi-invalid", f"operation {method.upper()} {path}: {exc.message}", exc.pointer, name
            )
            return None
        except _Skip as exc:
            self.problem(
                "openapi-unsupported",
                f"operation {method.upper()} {path} skipped: {exc}",
                exc.at,
                name,
                warn=True,
            )
            return None
        auth, credentials = self._security(operation, at, name)
        summary = str(operation.get("summary") or "").strip()
        text = str(operation.get("description") or "").strip()
        description = "\n\n".join(part for part in (summary, text) if part) or f"{method.upper()} {path}"
        annotations: dict[str, Any] = {"openWorldHint": True}
        if method in ("get", "head"):
            annotations["readOnlyHint"] = True
        if method in ("get", "head", "put", "delete", "options"):
            annotations["idempotentHint"] = True
        if method == "delete":
            annotations["destructiveHint"] = True
        return ToolEntry(
            name=name,
            title=summary or None,
            description=description,
            input_schema=schema,
            annotations=annotations,
            tags=sorted({"openapi", *(str(t) for t in operation.get("tags") or [])}),
            credentials=credentials,
            http=HttpOperation(
                api=self.api,
                method=method.upper(),
                path=path,
                base_url=self._base_url(operation, item),
                auth=auth,
                **parameters,
                **body,
            ),
            entrypoint=Entrypoint(language="openapi", path=self.rel, attribute=at, kind="native"),
            source=SourceRef(path=self.rel, line=self.line(at)),
        )

    def _inputs(
        self, item: Mapping[str, Any], operation: Mapping[str, Any], at_path: str, at: str
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        params: list[HttpParameter] = []
        merged: dict[tuple[str, str], tuple[Any, str]] = {}
        for where, source in ((at_path, item), (at, operation)):
            for i, raw in enumerate(source.get("parameters") or []):
                here = f"{where}/parameters/{i}"
                param = self.resolver.node(raw, here)
                if not isinstance(param, Mapping) or not isinstance(param.get("name"), str):
                    raise RefError("a parameter needs a name", here)
                location = param.get("in")
                if location not in ("path", "query", "header", "cookie"):
                    raise RefError(
                        f"parameter {param['name']!r}: 'in' must be path, query, header or cookie", here
                    )
                if location == "header" and param["name"].lower() in _IGNORED_HEADERS:
                    continue
                merged[(param["name"], location)] = (param, here)
        names = [n for n, _ in merged]
        for (pname, location), (param, here) in merged.items():
            argument = pname if names.count(pname) == 1 else f"{pname}_{location}"
            raw_schema = param.get("schema")
            if raw_schema is None and isinstance(param.get("content"), Mapping) and param["content"]:
                raw_schema = next(iter(param["content"].values())).get("schema")
            prop = self.resolver.schema(raw_schema if raw_schema is not None else {}, f"{here}/schema")
            if param.get("description") and "description" not in prop:
                prop = {**prop, "description": str(param["description"])}
            properties[argument] = prop
            if param.get("required") or location == "path":
                required.append(argument)
            style = param.get("style")
            params.append(
                HttpParameter(
                    name=pname,
                    location=location,
                    argument=argument,
                    style=style if style in ("form", "simple") else None,
                    explode=bool(param.get("explode", style in (None, "form"))),
                )
            )
        body = self._body(operation, at, properties, required)
        schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:
            schema["required"] = sorted(set(required), key=required.index)
        return schema, {"parameters": params}, body

    def _body(
        self, operation: Mapping[str, Any], at: str, properties: dict[str, Any], required: list[str]
    ) -> dict[str, Any]:
        raw = operation.get("requestBody")
        if raw is None:
            return {}
        here = f"{at}/requestBody"
        body = self.resolver.node(raw, here)
        content = body.get("content") if isinstance(body, Mapping) else None
        if not isinstance(content, Mapping) or not content:
            raise _Skip("the request body declares no content", here)
        kind = next((c for c in content if _is_json(c)), None)
        kind = kind or next((c for c in content if c == "application/x-www-form-urlencoded"), None)
        if kind is None:
            raise _Skip(
                f"request body types {', '.join(content)} are not supported (JSON and forms are)", here
            )
        media = content[kind] if isinstance(content[kind], Mapping) else {}
        schema = self.resolver.schema(
            media.get("schema", {}), f"{here}/content/{kind.replace('/', '~1')}/schema"
        )
        is_required = bool(body.get("required"))
        own = schema.get("properties")
        flat = (
            isinstance(own, Mapping)
            and own
            and schema.get("type", "object") == "object"
            and not any(k in schema for k in ("allOf", "anyOf", "oneOf", "$ref"))
            and not set(own) & set(properties)
        )
        if flat:
            assert isinstance(own, Mapping)
            fields_ = [
                k for k, v in own.items() if not (isinstance(v, Mapping) and v.get("readOnly") is True)
            ]
            properties.update({k: own[k] for k in fields_})
            if is_required:
                required.extend(k for k in schema.get("required") or [] if k in fields_)
            return {"body_fields": fields_, "body_required": is_required, "content_type": kind}
        argument = "body" if "body" not in properties else "body_"
        described = {**schema}
        if body.get("description") and "description" not in described:
            described["description"] = str(body["description"])
        properties[argument] = described
        if is_required:
            required.append(argument)
        return {"body_argument": argument, "body_required": is_required, "content_type": kind}

    def _base_url(self, operation: Mapping[str, Any], item: Mapping[str, Any]) -> str | None:
        for source in (operation, item, self.document or {}):
            servers = source.get("servers")
            if isinstance(servers, list) and servers and isinstance(servers[0], Mapping):
                server = servers[0]
                url = str(server.get("url") or "")
                for var, spec in (server.get("variables") or {}).items():
                    if isinstance(spec, Mapping) and "default" in spec:
                        url = url.replace("{" + str(var) + "}", str(spec["default"]))
                if self.options.source_url and not re.match(r"^https?://", url):
                    url = urljoin(self.options.source_url, url)
                return url.rstrip("/") or None
        return None

    def _security(
        self, operation: Mapping[str, Any], at: str, name: str
    ) -> tuple[list[HttpAuth], list[Credential]]:
        document = self.document or {}
        requirements = operation.get("security", document.get("security")) or []
        schemes = (document.get("components") or {}).get("securitySchemes") or {}
        optional = any(isinstance(r, Mapping) and not r for r in requirements)
        auth: list[HttpAuth] = []
        credentials: dict[str, Credential] = {}
        for requirement in requirements:
            if not isinstance(requirement, Mapping):
                continue
            for scheme_name in requirement:
                here = pointer("components", "securitySchemes", scheme_name)
                try:
                    scheme = self.resolver.node(schemes.get(scheme_name), here)
                except RefError as exc:
                    self.problem("openapi-invalid", exc.message, exc.pointer, name)
                    continue
                if not isinstance(scheme, Mapping):
                    self.problem(
                        "openapi-invalid", f"security scheme {scheme_name!r} is not defined", at, name
                    )
                    continue
                made = _auth(scheme, api_credential(self.api, scheme_name))
                if made is None:
                    self.problem(
                        "openapi-unsupported",
                        f"security scheme {scheme_name!r} ({scheme.get('type')}) is not supported; "
                        "requests go without it",
                        here,
                        name,
                        warn=True,
                    )
                    continue
                if made not in auth:
                    auth.append(made)
                kind = (
                    "api_key" if made.kind == "api_key" else "password" if made.kind == "basic" else "token"
                )
                what = str(scheme.get("description") or "").strip()
                credentials.setdefault(
                    made.credential,
                    Credential(
                        made.credential,
                        kind=kind,
                        required=not optional and len(requirements) == 1,
                        description=what
                        or f"{scheme_name} for the {self.api} API"
                        + (" (user:password)" if made.kind == "basic" else ""),
                    ),
                )
        return auth, list(credentials.values())


def _auth(scheme: Mapping[str, Any], credential: str) -> HttpAuth | None:
    kind = scheme.get("type")
    if kind == "apiKey" and scheme.get("in") in ("header", "query", "cookie") and scheme.get("name"):
        return HttpAuth(
            kind="api_key", credential=credential, location=scheme["in"], name=str(scheme["name"])
        )
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
        return HttpAuth(kind="bearer", credential=credential)
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
        return HttpAuth(kind="basic", credential=credential)
    if kind in ("oauth2", "openIdConnect"):
        return HttpAuth(kind="bearer", credential=credential)
    return None


def _is_json(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


class _Skip(Exception):
    def __init__(self, message: str, at: str) -> None:
        super().__init__(message)
        self.at = at


def _parse(
    text: str, file: Path, rel: str
) -> tuple[dict[str, Any] | None, dict[tuple[str, ...], int], tuple[str, int | None]]:
    """The document, the line of each key, and (when it does not parse) why and on which line.

    JSON is read by :mod:`json` and its key lines found by :func:`json_lines` (the YAML reader
    takes seconds per megabyte); YAML by the safe YAML reader, which records them.
    """
    if file.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return None, {}, (f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno)
        except (ValueError, RecursionError) as exc:
            return None, {}, (f"invalid JSON: {exc}", None)
        if not isinstance(data, dict):
            return None, {}, ("expected an OpenAPI document (an object) at the top level", 1)
        return data, json_lines(text), ("", None)
    try:
        parsed = parse_yaml(text, rel, max_nodes=2_000_000, expected="an OpenAPI document (a map)")
    except ConfigError as exc:
        found = re.match(r"^[^:]*:(\d+):(\d+:)?\s*", exc.message)
        message = exc.message[found.end() :] if found else exc.message.removeprefix(f"{rel}: ")
        return None, {}, (message, int(found.group(1)) if found else None)
    return parsed.data, parsed.lines, ("", None)


_JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{}\[\]:,\n]')


def json_lines(text: str) -> dict[tuple[str, ...], int]:
    """The 1-based line of every key of a JSON document, by its path (list items by index, as strings).

    A single pass over the strings, brackets and newlines of valid JSON (numbers and literals are
    skipped): each open object or array is a frame holding its current key or index.
    """
    lines: dict[tuple[str, ...], int] = {}
    frames: list[list[Any]] = []  # [is_object, key or index, expecting a key]
    line = 1
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first == "\n":
            line += 1
        elif first == '"':
            if frames and frames[-1][2]:
                frame = frames[-1]
                frame[1], frame[2] = json.loads(token), False
                lines[tuple(str(f[1]) for f in frames)] = line
        elif first == "{":
            frames.append([True, None, True])
        elif first == "[":
            frames.append([False, 0, False])
        elif first in "]}":
            if frames:
                frames.pop()
        elif first == "," and frames:
            frame = frames[-1]
            if frame[0]:
                frame[2] = True
            else:
                frame[1] += 1
    return lines


def suffix_for(url: str, content_type: str, text: str) -> str:
    """The file suffix a fetched spec is saved under (``.json`` unless it is YAML)."""
    lowered = url.lower().split("?", 1)[0]
    if lowered.endswith((".yaml", ".yml")) or "yaml" in content_type.lower():
        return ".yaml"
    if lowered.endswith(".json") or "json" in content_type.lower() or text.lstrip().startswith("{"):
        return ".json"
    return ".yaml"


def stale_snapshots(root: Path, api: str, keep: Path) -> Iterable[Path]:
    """Other files of ``api`` in ``openapi/`` (a fetched spec that changed format replaces them)."""
    return [p for p in spec_files(root) if p.stem == api and p != keep]
