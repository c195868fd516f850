"""The fast path: plain stateless requests answered by mcpgen itself, with no SDK machinery per request.

A request qualifies when it needs nothing but its answer (no session, no
notifications, no back channel) and is unremarkable in every way the SDK
would check: ``POST`` with ``Content-Type: application/json``, Host/Origin
allowed, ``Accept`` naming JSON, a single JSON-RPC request with a string or
integer id, a method the pipeline answers (plus ``ping`` on 2025 wires), params
of exactly the expected shape, and

- on **2026-07-28**: an envelope that passes the SDK's inbound ladder
  (``classify_inbound_request``: ``_meta`` pair, header/body agreement, a
  served version) in its plainest form, and no ``Mcp-Param-*`` header
  routing for the tool;
- on **2025-06-18 / 2025-11-25** (the ``MCP-Protocol-Version`` header): a
  request the endpoint would hand to its stateless plain-JSON manager.

Everything else goes to the SDK path, which answers it (errors included)
exactly as before -- so both paths apply the same checks, and a request the
fast path turns down costs only the look it took.

Answers: the result the pipeline returns, shaped like the SDK shapes it for
the request's version (2025 wires drop the 2026-only envelope fields;
2026-07-28 results carry the ``serverInfo`` stamp), serialized with orjson,
sent as one raw ASGI response. Results of fixed shape (the listings, text
tool results) skip the SDK's per-version validation; the listings are
serialized once per registry and version when the chain allows it
(``Pipeline.lists_cacheable``), the chain still running around the cached
bytes (``Pipeline.observe``). Other results (resources,
prompts, rich content) go through the SDK's result serializer, so a malformed
value from user code is refused the same way on both paths.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import mcp_types as types
import orjson
from mcp.shared.inbound import ERROR_CODE_HTTP_STATUS, NAME_BEARING_METHODS
from mcp_types import (
    CLIENT_CAPABILITIES_META_KEY,
    CLIENT_INFO_META_KEY,
    PROTOCOL_VERSION_META_KEY,
    SERVER_INFO_META_KEY,
)
from mcp_types import methods as surface
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import ValidationError
from starlette.types import Send

from mcpgen.runtime.pipeline import METHODS, CallContext, CallError, ClientIdentity, Pipeline
from mcpgen.runtime.registry import Registry
from mcpgen.runtime.transport.security import HostCheck

logger = logging.getLogger("mcpgen.runtime")

LEGACY_FAST = frozenset({"2025-06-18", "2025-11-25"})
"""Handshake-era versions whose result shapes the fast path writes itself."""
_ENVELOPE_ONLY = ("resultType", "ttlMs", "cacheScope")
"""2026-07-28 result fields that 2025 wires do not have."""
_LISTS = {
    "tools/list": "tools",
    "resources/list": "resources",
    "resources/templates/list": "resourceTemplates",
    "prompts/list": "prompts",
}
_PARAM_KEYS: Mapping[str, frozenset[str]] = {
    "tools/call": frozenset({"name", "arguments", "_meta"}),
    "prompts/get": frozenset({"name", "arguments", "_meta"}),
    "resources/read": frozenset({"uri", "_meta"}),
    "ping": frozenset({"_meta"}),
    **{method: frozenset({"cursor", "_meta"}) for method in _LISTS},
}
_TEXT_KEYS = frozenset({"type", "text"})
_TOOL_RESULT_KEYS = frozenset({"resultType", "content", "structuredContent", "isError"})
_JSON_HEADERS = [(b"content-type", b"application/json")]


def _valid_meta(meta: Any) -> bool:
    return meta is None or isinstance(meta, dict)


def _params_ok(method: str, params: Any) -> bool:
    """Whether ``params`` has exactly the shape the SDK's request model accepts, in the common form."""
    if params is None:
        return method not in ("tools/call", "prompts/get", "resources/read")
    if not isinstance(params, dict) or not params.keys() <= _PARAM_KEYS[method]:
        return False
    if not _valid_meta(params.get("_meta")):
        return False
    if method == "tools/call":
        arguments = params.get("arguments")
        return isinstance(params.get("name"), str) and (arguments is None or isinstance(arguments, dict))
    if method == "prompts/get":
        arguments = params.get("arguments")
        if arguments is not None and not (
            isinstance(arguments, dict) and all(isinstance(v, str) for v in arguments.values())
        ):
            return False
        return isinstance(params.get("name"), str)
    if method == "resources/read":
        return isinstance(params.get("uri"), str)
    cursor = params.get("cursor")
    return cursor is None or isinstance(cursor, str)


class Seen:
    """What one pass over a request's raw headers found (the endpoint's routing and the fast path read it)."""

    __slots__ = (
        "accept",
        "content_length",
        "content_type",
        "host",
        "mcp_method",
        "mcp_name",
        "origin",
        "param_headers",
        "repeated_routing",
        "session_id",
        "untrimmed",
        "version",
    )

    def __init__(self, headers: list[tuple[bytes, bytes]]) -> None:
        self.content_type: bytes | None = None
        self.content_length: bytes | None = None
        self.host: bytes | None = None
        self.origin: bytes | None = None
        self.accept: bytes | None = None
        self.version: str | None = None
        self.session_id: str | None = None
        self.mcp_method: str | None = None
        self.mcp_name: str | None = None
        self.param_headers = self.repeated_routing = self.untrimmed = False
        for key, value in headers:
            if key[:4] != b"mcp-":
                if key == b"content-type":
                    self.content_type = value
                elif key == b"host":
                    self.host = value
                elif key == b"origin":
                    self.origin = value
                elif key == b"accept":
                    self.accept = value
                elif key == b"content-length":
                    self.content_length = value
                continue
            if value != value.strip():
                self.untrimmed = True
            text = value.decode("latin-1").strip()
            if key == b"mcp-protocol-version":
                self.repeated_routing |= self.version is not None
                self.version = self.version if self.version is not None else text
            elif key == b"mcp-session-id":
                self.session_id = self.session_id if self.session_id is not None else text
            elif key == b"mcp-method":
                self.repeated_routing |= self.mcp_method is not None
                self.mcp_method = text
            elif key == b"mcp-name":
                self.repeated_routing |= self.mcp_name is not None
                self.mcp_name = text
            elif key.startswith(b"mcp-param-"):
                self.param_headers = True


def _accepts_json(accept: bytes) -> bool:
    """The SDK's ``Accept`` rule for a JSON answer: ``application/json``, ``application/*`` or ``*/*``."""
    for item in accept.split(b","):
        media = item.split(b";", 1)[0].strip().lower()
        if media in (b"application/json", b"application/*", b"*/*"):
            return True
    return False


def transport_ok(seen: Seen, hosts: HostCheck) -> bool:
    """The transport rules both paths apply, all passed (else the SDK answers with its error)."""
    content_type = seen.content_type
    if content_type is None or not content_type.lower().startswith(b"application/json"):
        return False
    host, origin = seen.host, seen.origin
    if not hosts.passes(
        host.decode("latin-1") if host is not None else None,
        origin.decode("latin-1") if origin is not None else None,
    ):
        return False
    return seen.accept is not None and _accepts_json(seen.accept) and not seen.param_headers


def _modern_envelope_ok(message: dict[str, Any], seen: Seen) -> bool:
    """The SDK's inbound ladder (``classify_inbound_request``), passed in its plainest form.

    Every rung must hold with exact values: ``_meta`` carries the protocol
    version (equal to the header, and served) and the client capabilities
    (an object), client info is absent or has a name and version, and the
    ``Mcp-Method``/``Mcp-Name`` headers equal the body verbatim. Anything
    less plain (an encoded name header, say) is left to the SDK.
    """
    meta = (message.get("params") or {}).get("_meta")
    if not isinstance(meta, dict) or seen.repeated_routing:
        return False
    version = meta.get(PROTOCOL_VERSION_META_KEY)
    if version != seen.version or version not in MODERN_PROTOCOL_VERSIONS:
        return False
    capabilities = meta.get(CLIENT_CAPABILITIES_META_KEY)
    info = meta.get(CLIENT_INFO_META_KEY)
    if not isinstance(capabilities, dict) or not (
        info is None
        or (
            isinstance(info, dict)
            and isinstance(info.get("name"), str)
            and isinstance(info.get("version"), str)
        )
    ):
        return False
    method = message["method"]
    if seen.mcp_method != method:
        return False
    name_key = NAME_BEARING_METHODS.get(method)
    if name_key is None:
        return True
    name = seen.mcp_name
    return name is not None and name == message["params"][name_key] and not name.startswith("=?")


def plain_request(message: Any, seen: Seen) -> bool:
    """Whether a decoded body (with its headers, already :func:`transport_ok`) may take the fast path.

    The caller has already checked that the endpoint routes it as ``plain``.
    """
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return False
    request_id = message.get("id")
    if type(request_id) is not str and type(request_id) is not int:
        return False
    method = message.get("method")
    if method not in METHODS and method != "ping":
        return False
    if not message.keys() <= {"jsonrpc", "id", "method", "params"}:
        return False
    params = message.get("params")
    if not _params_ok(method, params):
        return False
    version = seen.version
    if version in LEGACY_FAST:
        return True
    if version not in MODERN_PROTOCOL_VERSIONS or method == "ping":
        return False
    return _modern_envelope_ok(message, seen)


def _fixed_shape(result: Mapping[str, Any]) -> bool:
    """A ``tools/call`` result of text blocks only: valid on every wire by construction."""
    if not result.keys() <= _TOOL_RESULT_KEYS:
        return False
    content = result.get("content")
    if not isinstance(content, list):
        return False
    for block in content:
        if not isinstance(block, dict) or block.keys() != _TEXT_KEYS or block["type"] != "text":
            return False
        if not isinstance(block["text"], str):
            return False
    structured = result.get("structuredContent")
    return (structured is None or isinstance(structured, dict)) and result.get("isError") in (
        None,
        True,
        False,
    )


class FastPath:
    """Answers qualifying requests through the pipeline and writes one raw ASGI response."""

    def __init__(self, pipeline: Pipeline, server_info: dict[str, Any]) -> None:
        self._pipeline = pipeline
        self._server_info = server_info
        self._listings: dict[tuple[str, str], bytes] = {}
        """Serialized listings of :attr:`_listings_of`, by (method, wire)."""
        self._listings_of: Registry | None = None

    def _stamp(self, result: dict[str, Any]) -> dict[str, Any]:
        meta = result.get("_meta")
        if meta is None:
            result["_meta"] = {SERVER_INFO_META_KEY: self._server_info}
        elif isinstance(meta, dict) and meta.get(SERVER_INFO_META_KEY) is None:
            result["_meta"] = {**meta, SERVER_INFO_META_KEY: self._server_info}
        return result

    def shape(self, method: str, version: str, result: dict[str, Any]) -> dict[str, Any]:
        """``result`` as the SDK would put it on the ``version`` wire (raises ``CallError`` when invalid)."""
        if method != "tools/call" or not _fixed_shape(result):
            try:
                result = surface.serialize_server_result(method, version, result)
            except ValidationError:
                logger.exception("handler for %r returned an invalid result", method)
                raise CallError(types.INTERNAL_ERROR, "Handler returned an invalid result") from None
        elif version not in MODERN_PROTOCOL_VERSIONS:
            result = {k: v for k, v in result.items() if k not in _ENVELOPE_ONLY}
        if version in MODERN_PROTOCOL_VERSIONS:
            if result.get("resultType") is None:
                result["resultType"] = "complete"
            return self._stamp(result)
        return result

    async def listing(self, call: CallContext) -> bytes:
        """The serialized result of a list method for this registry and wire (computed once)."""
        registry = call.registry
        if registry is not self._listings_of:  # a reload swapped the registry: start over
            self._listings, self._listings_of = {}, registry
        key = (call.method, call.wire)
        cached = self._listings.get(key)
        if cached is None:
            result = await self._pipeline.handle(call)
            cached = self._listings[key] = orjson.dumps(self.shape(call.method, call.wire, result))
        elif self._pipeline.middleware:  # observe-only middleware still see (count, trace, limit) the call
            await self._pipeline.observe(call)
        return cached

    async def answer(
        self,
        message: dict[str, Any],
        version: str,
        headers: Mapping[str, str],
        send: Send,
        client: ClientIdentity | None = None,
        peer: str | None = None,
    ) -> None:
        """Run ``message`` (already accepted by :func:`plain_request`) and send its JSON-RPC answer."""
        request_id = message["id"]
        method: str = message["method"]
        params = message.get("params") or {}
        status = 200
        extra: list[tuple[bytes, bytes]] = []
        try:
            if method == "ping":
                body = b'{"jsonrpc":"2.0","id":' + orjson.dumps(request_id) + b',"result":{}}'
            else:
                call = _call_context(
                    method, params, request_id, version, headers, peer, self._pipeline, client
                )
                if method in _LISTS and not params.get("cursor") and self._pipeline.lists_cacheable:
                    result_json = await self.listing(call)
                else:
                    result_json = orjson.dumps(self.shape(method, version, await self._pipeline.handle(call)))
                body = b'{"jsonrpc":"2.0","id":%b,"result":%b}' % (orjson.dumps(request_id), result_json)
        except CallError as exc:
            error = {"jsonrpc": "2.0", "id": request_id, "error": exc.to_wire()}
            if exc.http_status is not None:
                status = exc.http_status
                extra = exc.raw_headers()
            elif version in MODERN_PROTOCOL_VERSIONS:
                status = ERROR_CODE_HTTP_STATUS.get(exc.code, 200)
            body = orjson.dumps(error)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*_JSON_HEADERS, (b"content-length", b"%d" % len(body)), *extra],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _call_context(
    method: str,
    params: Mapping[str, Any],
    request_id: Any,
    version: str,
    headers: Mapping[str, str],
    peer: str | None,
    pipeline: Pipeline,
    client: ClientIdentity | None,
) -> CallContext:
    arguments: Mapping[str, Any]
    if method == "resources/read":
        name, arguments = params["uri"], {}
    else:
        name, arguments = params.get("name", ""), params.get("arguments") or {}
    return CallContext(
        method=method,
        name=name,
        arguments=arguments,
        request_id=request_id,
        wire=version,
        transport="http",
        path="fast",
        registry=pipeline.registry,
        meta=params.get("_meta"),
        headers=headers,
        client=client,
        peer=peer,
    )
