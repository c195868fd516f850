# /// script
# dependencies = ["notion-client>=2.2"]
# ///
"""Notion through the official ``notion-client``, riding on the connector's pooled ``self.http``.

Handing ``self.http`` to ``notion_client.AsyncClient`` means every Notion request goes
through mcpgen's rate limit, 429/``Retry-After`` retries and circuit breaker. notion-client's
own retries are off (``retry=False``) so a rate-limited request is not retried twice over.
The client is pinned to API version 2022-06-28 (``extras.notion_version`` overrides it), the
version whose ``databases/{id}/query`` and ``search`` ``filter: database`` this module uses.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from notion_client import AsyncClient
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from mcpgen import (
    Connector,
    ConnectorAuthError,
    ConnectorError,
    ConnectorUnavailable,
    Credential,
    Health,
    RateLimited,
    connector,
)

API_VERSION = "2022-06-28"


@connector(
    name="notion",
    kind="http",
    auth="token",
    credentials=[Credential("NOTION_TOKEN", kind="token", description="internal integration secret")],
    required=False,
    endpoint="https://api.notion.com",
    rate_limit=180,  # Notion allows an average of three requests per second
)
class Notion(Connector):
    """A Notion workspace (the pages and databases shared with the integration)."""

    _client: AsyncClient

    async def connect(self) -> None:
        self._client = AsyncClient(
            auth=self.settings.credential("token"),
            base_url=(self.settings.endpoint or "https://api.notion.com").rstrip("/"),
            client=self.http,
            notion_version=str(self.settings.extras.get("notion_version", API_VERSION)),
            timeout_ms=int(self.settings.timeout * 1000),
            retry=False,
            logger=logging.getLogger("connectors.notion"),
        )
        await self._request(
            "search", "POST", {"filter": {"property": "object", "value": "database"}, "page_size": 1}
        )

    async def close(self) -> None:
        pass  # self.http belongs to the runtime, which closes it

    async def health(self) -> Health:
        await self._request("search", "POST", {"page_size": 1})
        return Health(ok=True)

    # -- what tools use ------------------------------------------------------------------

    async def list_databases(self, query: str = "") -> list[dict[str, Any]]:
        """Databases shared with the integration whose title contains ``query``."""
        body: dict[str, Any] = {"filter": {"property": "object", "value": "database"}, "page_size": 100}
        if query:
            body["query"] = query
        found = await self._request("search", "POST", body)
        return [
            {
                "id": d["id"],
                "title": _text(d.get("title", [])),
                "url": d.get("url", ""),
                "properties": sorted(d.get("properties", {})),
            }
            for d in found["results"]
        ]

    async def query_database(
        self,
        database_id: str,
        filter: dict[str, Any] | None = None,
        sorts: list[dict[str, Any]] | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Pages of a database (Notion filter and sorts objects), following cursors up to ``limit``."""
        body: dict[str, Any] = {"page_size": min(limit, 100)}
        if filter:
            body["filter"] = filter
        if sorts:
            body["sorts"] = sorts
        pages: list[dict[str, Any]] = []
        while len(pages) < limit:
            found = await self._request(f"databases/{database_id}/query", "POST", body)
            pages += found["results"]
            if not found.get("has_more"):
                break
            body["start_cursor"] = found["next_cursor"]
        return pages[:limit]

    async def get_page(self, page_id: str) -> dict[str, Any]:
        return dict(await self._request(f"pages/{page_id}", "GET"))

    async def create_page(
        self, database_id: str, title: str, values: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A new page (row) in a database: its title plus plain values by property name."""
        schema = (await self._request(f"databases/{database_id}", "GET"))["properties"]
        title_name = next(name for name, spec in schema.items() if spec["type"] == "title")
        properties = {title_name: {"title": [{"text": {"content": title}}]}}
        properties |= _write_values(schema, values or {})
        body = {"parent": {"database_id": database_id}, "properties": properties}
        return dict(await self._request("pages", "POST", body))

    async def update_page(self, page_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """Set plain values (text, number, checkbox, select name) on a page's properties."""
        page = await self.get_page(page_id)
        schema = {name: {"type": prop["type"]} for name, prop in page["properties"].items()}
        body = {"properties": _write_values(schema, values)}
        return dict(await self._request(f"pages/{page_id}", "PATCH", body))

    # -- plumbing ------------------------------------------------------------------------

    async def _request(self, path: str, method: str, body: dict[str, Any] | None = None) -> Any:
        try:
            return await self._client.request(path=path, method=method, body=body)
        except HTTPResponseError as exc:
            raise _from_response_error(exc) from None
        except RequestTimeoutError:
            raise ConnectorUnavailable(
                f"notion: no answer within {self.settings.timeout:g}s (timed out)"
            ) from None
        except httpx.TransportError as exc:
            raise ConnectorUnavailable(f"notion: cannot reach the Notion API: {exc}") from None


def _from_response_error(exc: HTTPResponseError) -> ConnectorError:
    """Notion's error (status, code, message) as mcpgen's; the message never holds the token."""
    code = getattr(exc.code, "value", exc.code)
    if exc.status == 429:
        header = exc.headers.get("retry-after")
        retry_after = float(header) if header and header.replace(".", "", 1).isdigit() else None
        when = f"; retry after {retry_after:g}s" if retry_after is not None else ""
        return RateLimited(f"notion: rate limited ({code}){when}", retry_after=retry_after)
    if exc.status in (401, 403):
        return ConnectorAuthError(
            f"notion: {exc.status} {code}: {exc} (check NOTION_TOKEN and the integration's access)"
        )
    if exc.status >= 500:
        return ConnectorUnavailable(f"notion: Notion answered {exc.status} {code}: {exc}")
    return ConnectorError(f"notion: {exc.status} {code}: {exc}")


def _text(rich: list[dict[str, Any]]) -> str:
    return "".join(part.get("plain_text", "") for part in rich)


def plain(page: dict[str, Any]) -> dict[str, Any]:
    """A page as plain JSON: id, url, title and each property's value as text/number/bool."""
    values: dict[str, Any] = {}
    title = ""
    for name, prop in page.get("properties", {}).items():
        kind = prop.get("type")
        value = prop.get(kind)
        if kind in ("title", "rich_text"):
            value = _text(value or [])
            if kind == "title":
                title = value
        elif kind in ("select", "status"):
            value = value.get("name") if value else None
        elif kind == "multi_select":
            value = [option["name"] for option in value or []]
        elif kind == "date":
            value = value.get("start") if value else None
        values[name] = value
    return {"id": page["id"], "url": page.get("url", ""), "title": title, "properties": values}


def _write_values(schema: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name, value in values.items():
        if name not in schema:
            raise ConnectorError(
                f"notion: the database has no property {name!r} (it has: {', '.join(sorted(schema))})"
            )
        kind = schema[name]["type"]
        if kind in ("title", "rich_text"):
            properties[name] = {kind: [{"text": {"content": str(value)}}]}
        elif kind in ("select", "status"):
            properties[name] = {kind: {"name": str(value)} if value is not None else None}
        elif kind == "date":
            properties[name] = {"date": {"start": str(value)} if value else None}
        elif kind in ("checkbox", "number", "url", "email", "phone_number"):
            properties[name] = {kind: value}
        else:
            raise ConnectorError(
                f"notion: property {name!r} is of type {kind}, which this connector cannot set"
            )
    return properties
