"""OpenAPI operations at run time: :class:`HttpOperationExecutor` turns a call into one HTTP request.

The manifest entry carries the operation (:class:`~mcpgen.manifest.HttpOperation`), so nothing
reads the spec here. A call's arguments go to the path (percent-encoded), the query, headers,
cookies and the JSON (or form) body; the first of the operation's security schemes whose
credential is set (in the process environment, like every credential) authenticates it; the
config's ``openapi.<api>`` gives the base URL (over the spec's ``servers``), extra headers and a
per-request timeout. One pooled ``httpx.AsyncClient`` per API is shared by its tools
(:class:`HttpClients`, closed with the registry), its requests traced as CLIENT spans when the
call is.

The answer becomes the tool result: a 2xx JSON body is ``structuredContent`` (an object as it is,
anything else under ``result``) and its text; other text bodies are text, images and audio are image
and audio content, other binary bodies an embedded resource (base64); redirects are not followed
(an API key header must not travel to another host); a non-2xx status is
``isError`` with the status and the start of the body. A request that cannot be sent (no base
URL, a connection error, no answer in time) is a :class:`~mcpgen.authoring.ToolError` naming the
operation, never the query string (it may hold an API key).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mcpgen.authoring import ToolError
from mcpgen.runtime.executors.base import Invocation, Passthrough

if TYPE_CHECKING:
    import httpx

    from mcpgen.config.models import OpenApiConfig
    from mcpgen.manifest import HttpAuth, HttpOperation

logger = logging.getLogger("mcpgen.runtime")
EXCERPT = 2000
"""Characters of an error answer's body put in the tool result."""


class HttpClients:
    """One pooled ``httpx.AsyncClient`` per API (made on first use), closed by :meth:`aclose`."""

    def __init__(self, config: Mapping[str, OpenApiConfig]) -> None:
        self._config = config
        self._clients: dict[str, httpx.AsyncClient] = {}

    def get(self, api: str) -> httpx.AsyncClient:
        client = self._clients.get(api)
        if client is None:
            import httpx

            from mcpgen.runtime.connectors.http_client import TracedTransport

            config = self._config.get(api)
            limits = httpx.Limits(max_connections=config.max_connections if config is not None else 20)
            transport = TracedTransport(httpx.AsyncHTTPTransport(limits=limits), f"openapi:{api}")
            client = self._clients[api] = httpx.AsyncClient(transport=transport, follow_redirects=False)
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    def close_soon(self, delay: float) -> None:
        """Close the clients ``delay`` seconds from now (after a swap: calls in flight finish first)."""
        if not self._clients:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        loop.call_later(delay, lambda: loop.create_task(self.aclose()))


class HttpOperationExecutor:
    """Calls one OpenAPI operation with an invocation's arguments (see the module docstring)."""

    __slots__ = ("_base", "_clients", "_headers", "_op", "_timeout")

    def __init__(self, op: HttpOperation, clients: HttpClients, config: OpenApiConfig | None) -> None:
        self._op = op
        self._clients = clients
        base = config.base_url if config is not None and config.base_url else op.base_url
        self._base = base.rstrip("/") if base and base.startswith(("http://", "https://")) else None
        self._headers = (
            {k: v.get_secret_value() for k, v in config.headers.items()} if config is not None else {}
        )
        self._timeout = config.timeout if config is not None else None

    @property
    def what(self) -> str:
        return f"{self._op.method} {self._op.path}"

    async def execute(self, invocation: Invocation) -> Passthrough:
        op = self._op
        if self._base is None:
            given = f" (the spec says {op.base_url!r})" if op.base_url else ""
            raise ToolError(
                f"{self.what}: no base URL to send it to{given}; set openapi.{op.api}.base_url in the config"
            )
        request = self._request(invocation.arguments)
        timeout = min(self._timeout or invocation.time_limit, invocation.time_limit)
        client = self._clients.get(op.api)
        import httpx

        try:
            response = await client.request(
                op.method, self._base + request.path, timeout=timeout, **request.options
            )
        except httpx.TimeoutException:
            raise ToolError(f"{self.what}: no answer from {self._base} within {timeout:g}s") from None
        except httpx.HTTPError as exc:
            raise ToolError(f"{self.what}: cannot reach {self._base}: {type(exc).__name__}") from None
        return Passthrough(answer(response, self.what))

    def _request(self, arguments: Mapping[str, Any]) -> _Request:
        op = self._op
        path = op.path
        query: list[tuple[str, str]] = []
        headers = dict(self._headers)
        cookies: dict[str, str] = {}
        for p in op.parameters:
            if p.argument not in arguments:
                continue
            value = arguments[p.argument]
            if p.location == "path":
                path = path.replace("{" + p.name + "}", quote(_scalar(value, ","), safe=""))
            elif p.location == "query":
                if isinstance(value, list) and p.explode:
                    query += [(p.name, _scalar(v, ",")) for v in value]
                else:
                    query.append((p.name, _scalar(value, ",")))
            elif p.location == "header":
                headers[p.name] = _scalar(value, ",")
            else:
                cookies[p.name] = _scalar(value, ",")
        for auth in op.auth:
            value = os.environ.get(auth.credential)
            if value:
                _authenticate(auth, value, headers, query, cookies)
                break
        options: dict[str, Any] = {"params": query, "headers": headers}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body: Any = None
        if op.body_argument is not None and op.body_argument in arguments:
            body = arguments[op.body_argument]
        elif op.body_fields is not None:
            picked = {k: arguments[k] for k in op.body_fields if k in arguments}
            body = picked if picked or op.body_required else None
        if body is not None:
            if op.content_type == "application/x-www-form-urlencoded" and isinstance(body, Mapping):
                options["data"] = {k: _scalar(v, ",") for k, v in body.items()}
            else:
                options["json"] = body
                headers.setdefault("Content-Type", op.content_type)
        headers.setdefault("Accept", "application/json, */*;q=0.5")
        return _Request(path, options)


class _Request:
    __slots__ = ("options", "path")

    def __init__(self, path: str, options: dict[str, Any]) -> None:
        self.path = path
        self.options = options


def _scalar(value: Any, separator: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return separator.join(_scalar(v, separator) for v in value)
    if isinstance(value, dict):
        return separator.join(f"{k}{separator}{_scalar(v, separator)}" for k, v in value.items())
    return "" if value is None else str(value)


def _authenticate(
    auth: HttpAuth, value: str, headers: dict[str, str], query: list[tuple[str, str]], cookies: dict[str, str]
) -> None:
    if auth.kind == "bearer":
        headers["Authorization"] = f"Bearer {value}"
    elif auth.kind == "basic":
        headers["Authorization"] = "Basic " + base64.b64encode(value.encode()).decode()
    elif auth.location == "query":
        query.append((auth.name, value))
    elif auth.location == "cookie":
        cookies[auth.name] = value
    else:
        headers[auth.name] = value


def answer(response: httpx.Response, what: str) -> dict[str, Any]:
    """The tool result for ``response`` (see the module docstring)."""
    status = response.status_code
    text = response.text
    if not 200 <= status < 300:
        excerpt = text[:EXCERPT] + ("…" if len(text) > EXCERPT else "")
        message = f"{what} failed: HTTP {status} {response.reason_phrase}".rstrip()
        return {
            "resultType": "complete",
            "content": [{"type": "text", "text": f"{message}: {excerpt}" if excerpt else message}],
            "isError": True,
        }
    kind = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        try:
            data = response.json()
        except ValueError:
            data = None
        else:
            structured = data if isinstance(data, dict) else {"result": data}
            return {
                "resultType": "complete",
                "content": [{"type": "text", "text": text}],
                "structuredContent": structured,
            }
    if response.content and not _textual(kind):
        data = base64.b64encode(response.content).decode()
        if kind.startswith("image/") or kind.startswith("audio/"):
            block = {"type": kind.split("/", 1)[0], "data": data, "mimeType": kind}
        else:
            resource = {
                "uri": f"mcpgen://result/{what.replace(' ', '')}",
                "mimeType": kind or "application/octet-stream",
                "blob": data,
            }
            block = {"type": "resource", "resource": resource}
        return {"resultType": "complete", "content": [block]}
    if not text:
        text = f"HTTP {status} {response.reason_phrase}".rstrip()
    return {"resultType": "complete", "content": [{"type": "text", "text": text}]}


def _textual(kind: str) -> bool:
    """Whether a body of this content type is text (an absent type is taken as text)."""
    return (
        not kind
        or kind.startswith("text/")
        or kind.endswith(("+json", "+xml", "/json", "/xml", "/javascript", "/yaml", "/x-yaml"))
        or kind == "application/x-www-form-urlencoded"
    )
