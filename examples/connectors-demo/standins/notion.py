"""A Notion API stand-in: databases, pages and search, in Notion's documented JSON shapes.

Endpoints (API version 2022-06-28, rooted at the stand-in's URL like ``https://api.notion.com``):

- ``GET /v1/databases/{id}`` (the schema), ``POST /v1/databases/{id}/query`` (``filter`` subset: and/or, title/rich_text, select,
  checkbox, number; ``sorts`` by property or timestamp; ``page_size``, ``start_cursor``)
- ``GET /v1/pages/{id}``, ``POST /v1/pages``, ``PATCH /v1/pages/{id}``
- ``POST /v1/search`` (``query``, ``filter: {"property": "object", "value": "database" | "page"}``)

Every request needs ``Authorization: Bearer <token>`` (401 ``unauthorized`` otherwise) and a
``Notion-Version`` header (400 ``missing_version``). Errors use Notion's shape::

    {"object": "error", "status": 429, "code": "rate_limited", "message": "...", "request_id": "..."}
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mcpgen.testing import StandIn

_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "restricted_resource",
    404: "object_not_found",
    409: "conflict_error",
    429: "rate_limited",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}
_MESSAGES = {
    401: "API token is invalid.",
    429: "You have been rate limited. Please try again in a few minutes.",
    503: "Notion is unavailable, please try again later.",
}
_USER = {"object": "user", "id": "9f4c2a5e-0000-4000-8000-000000000001"}


def notion_error(status: int, message: str, code: str | None = None) -> Response:
    """Notion's error shape (``object: error``, ``code``, ``message``, ``request_id``)."""
    body = {
        "object": "error",
        "status": status,
        "code": code or _CODES.get(status, "internal_server_error"),
        "message": _MESSAGES.get(status, message) if code is None else message,
        "request_id": str(uuid.uuid4()),
    }
    return JSONResponse(body, status_code=status)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:00.000Z")


def _rich(text: str) -> dict[str, Any]:
    annotations = dict.fromkeys(("bold", "italic", "strikethrough", "underline", "code"), False)
    return {
        "type": "text",
        "text": {"content": text, "link": None},
        "annotations": annotations | {"color": "default"},
        "plain_text": text,
        "href": None,
    }


def _plain(items: list[dict[str, Any]]) -> str:
    return "".join(i.get("plain_text") or i.get("text", {}).get("content", "") for i in items)


def _norm(object_id: str) -> str:
    return object_id.replace("-", "").lower()


def _valid_id(object_id: str, where: str) -> str:
    """Notion answers 400 for an id that is not a UUID (with or without dashes)."""
    try:
        uuid.UUID(object_id)
    except ValueError:
        raise _Invalid(
            400, f'path failed validation: path.{where} should be a valid uuid, instead was `"{object_id}"`.'
        ) from None
    return object_id


class _Invalid(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


TASKS_SCHEMA: dict[str, dict[str, Any]] = {
    "Name": {"id": "title", "type": "title", "title": {}},
    "Status": {
        "id": "%3DbXf",
        "type": "select",
        "select": {
            "options": [
                {"id": "1", "name": "Todo", "color": "red"},
                {"id": "2", "name": "Doing", "color": "yellow"},
                {"id": "3", "name": "Done", "color": "green"},
            ]
        },
    },
    "Done": {"id": "Fq%3Ec", "type": "checkbox", "checkbox": {}},
    "Notes": {"id": "n%40tE", "type": "rich_text", "rich_text": {}},
    "Estimate": {"id": "e%3Bst", "type": "number", "number": {"format": "number"}},
}


class NotionStandIn(StandIn):
    """Notion with one seeded ``Tasks`` database (id :attr:`tasks_id`) holding three pages."""

    def __init__(self, *, token: str, port: int = 0) -> None:
        self.token = token
        self._state = threading.Lock()
        self.databases: dict[str, dict[str, Any]] = {}
        self.pages: dict[str, dict[str, Any]] = {}
        self.tasks_id = self.add_database("Tasks", TASKS_SCHEMA)
        for name, status, done in (
            ("Write the report", "Doing", False),
            ("Book travel", "Todo", False),
            ("Renew passport", "Done", True),
        ):
            self._create({"parent": {"database_id": self.tasks_id}, "properties": {
                "Name": {"title": [{"text": {"content": name}}]},
                "Status": {"select": {"name": status}},
                "Done": {"checkbox": done},
            }})  # fmt: skip
        app = Starlette(
            routes=[
                Route("/v1/databases/{id}", self._get_database, methods=["GET"]),
                Route("/v1/databases/{id}/query", self._query, methods=["POST"]),
                Route("/v1/pages", self._create_page, methods=["POST"]),
                Route("/v1/pages/{id}", self._get_page, methods=["GET"]),
                Route("/v1/pages/{id}", self._update_page, methods=["PATCH"]),
                Route("/v1/search", self._search, methods=["POST"]),
            ]
        )
        super().__init__(app, error=notion_error, port=port)

    def add_database(self, title: str, schema: dict[str, dict[str, Any]]) -> str:
        database_id = str(uuid.uuid4())
        self.databases[_norm(database_id)] = {
            "object": "database",
            "id": database_id,
            "created_time": _now(),
            "last_edited_time": _now(),
            "created_by": _USER,
            "last_edited_by": _USER,
            "cover": None,
            "icon": None,
            "title": [_rich(title)],
            "description": [],
            "is_inline": False,
            "properties": {name: {"name": name} | spec for name, spec in schema.items()},
            "parent": {"type": "workspace", "workspace": True},
            "url": f"https://www.notion.so/{_norm(database_id)}",
            "public_url": None,
            "archived": False,
            "in_trash": False,
        }
        return database_id

    # -- helpers -----------------------------------------------------------------------------

    def _check(self, request: Request) -> Response | None:
        if not request.headers.get("notion-version"):
            return notion_error(
                400,
                "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.",
                "missing_version",
            )
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return notion_error(401, "API token is invalid.", "unauthorized")
        return None

    def _value(self, schema: dict[str, Any], name: str, value: dict[str, Any]) -> dict[str, Any]:
        """A property value in write form -> read form, checked against the database schema."""
        if name not in schema:
            raise _Invalid(400, f"{name} is not a property that exists.")
        kind, pid = schema[name]["type"], schema[name]["id"]
        raw = value.get(kind)
        if kind in ("title", "rich_text"):
            if not isinstance(raw, list):
                raise _Invalid(
                    400, f"body failed validation: body.properties.{name}.{kind} should be an array."
                )
            converted: Any = [_rich(i.get("text", {}).get("content", "")) for i in raw]
        elif kind == "select":
            options = {o["name"]: o for o in schema[name]["select"]["options"]}
            if raw is not None and raw.get("name") not in options:
                raise _Invalid(400, f"Invalid select option for {name}: {raw.get('name')!r}.")
            converted = None if raw is None else options[raw["name"]]
        elif kind == "checkbox":
            converted = bool(raw)
        else:
            converted = raw
        return {"id": pid, "type": kind, kind: converted}

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        parent = body.get("parent") or {}
        database = self.databases.get(_norm(str(parent.get("database_id", ""))))
        if database is None:
            raise _Invalid(
                404,
                f"Could not find database with ID: {parent.get('database_id')}. "
                "Make sure the relevant pages and databases are shared with your integration.",
            )
        schema = database["properties"]
        given = body.get("properties") or {}
        properties = {name: self._value(schema, name, value) for name, value in given.items()}
        for name, spec in schema.items():
            if name not in properties:
                empty = (
                    []
                    if spec["type"] in ("title", "rich_text")
                    else (False if spec["type"] == "checkbox" else None)
                )
                properties[name] = {"id": spec["id"], "type": spec["type"], spec["type"]: empty}
        page_id = str(uuid.uuid4())
        title = _plain(next(p["title"] for p in properties.values() if p["type"] == "title"))
        page = {
            "object": "page",
            "id": page_id,
            "created_time": _now(),
            "last_edited_time": _now(),
            "created_by": _USER,
            "last_edited_by": _USER,
            "cover": None,
            "icon": None,
            "parent": {"type": "database_id", "database_id": database["id"]},
            "archived": False,
            "in_trash": False,
            "properties": properties,
            "url": f"https://www.notion.so/{'-'.join(title.split()) + '-' if title else ''}{_norm(page_id)}",
            "public_url": None,
        }
        with self._state:
            self.pages[_norm(page_id)] = page
        return page

    def _page(self, page_id: str) -> dict[str, Any]:
        page = self.pages.get(_norm(_valid_id(page_id, "page_id")))
        if page is None:
            raise _Invalid(
                404,
                f"Could not find page with ID: {page_id}. "
                "Make sure the relevant pages and databases are shared with your integration.",
            )
        return page

    @staticmethod
    def _listing(results: list[dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
        size = max(1, min(int(body.get("page_size") or 100), 100))
        start = 0
        if cursor := body.get("start_cursor"):
            start = next((i for i, r in enumerate(results) if r["id"] == cursor), len(results))
        page = results[start : start + size]
        more = start + size < len(results)
        return {
            "object": "list",
            "results": page,
            "next_cursor": results[start + size]["id"] if more else None,
            "has_more": more,
            "type": "page_or_database",
            "page_or_database": {},
            "request_id": str(uuid.uuid4()),
        }

    # -- endpoints ---------------------------------------------------------------------------

    async def _handle(self, request: Request, action: Any) -> Response:
        if failed := self._check(request):
            return failed
        try:
            body = await request.json() if await request.body() else {}
            if not isinstance(body, dict):
                raise _Invalid(400, "body failed validation: body should be an object.")
            return JSONResponse(action(request, body))
        except _Invalid as exc:
            return notion_error(exc.status, str(exc), _CODES[exc.status])
        except ValueError:
            return notion_error(400, "Error parsing JSON body.", "invalid_json")

    async def _query(self, request: Request) -> Response:
        def run(request: Request, body: dict[str, Any]) -> dict[str, Any]:
            database_id = _valid_id(request.path_params["id"], "database_id")
            if _norm(database_id) not in self.databases:
                raise _Invalid(
                    404,
                    f"Could not find database with ID: {database_id}. Make sure the relevant pages and databases are shared with your integration.",
                )
            rows = [
                p
                for p in self.pages.values()
                if _norm(p["parent"].get("database_id", "")) == _norm(database_id) and not p["archived"]
            ]
            if flt := body.get("filter"):
                rows = [p for p in rows if _matches(p, flt)]
            for sort in reversed(body.get("sorts") or []):
                rows.sort(
                    key=lambda p, s=sort: _sort_key(p, s), reverse=sort.get("direction") == "descending"
                )
            return self._listing(rows, body)

        return await self._handle(request, run)

    async def _get_database(self, request: Request) -> Response:
        def run(request: Request, body: dict[str, Any]) -> dict[str, Any]:
            database_id = _valid_id(request.path_params["id"], "database_id")
            if _norm(database_id) not in self.databases:
                raise _Invalid(
                    404,
                    f"Could not find database with ID: {database_id}. Make sure the relevant pages and databases are shared with your integration.",
                )
            return self.databases[_norm(database_id)]

        return await self._handle(request, run)

    async def _get_page(self, request: Request) -> Response:
        return await self._handle(request, lambda request, body: self._page(request.path_params["id"]))

    async def _create_page(self, request: Request) -> Response:
        return await self._handle(request, lambda request, body: self._create(body))

    async def _update_page(self, request: Request) -> Response:
        def run(request: Request, body: dict[str, Any]) -> dict[str, Any]:
            page = self._page(request.path_params["id"])
            schema = self.databases[_norm(page["parent"]["database_id"])]["properties"]
            updates = {
                name: self._value(schema, name, value)
                for name, value in (body.get("properties") or {}).items()
            }
            with self._state:
                page["properties"].update(updates)
                for flag in ("archived", "in_trash"):
                    if flag in body:
                        page["archived"] = page["in_trash"] = bool(body[flag])
                page["last_edited_time"] = _now()
            return page

        return await self._handle(request, run)

    async def _search(self, request: Request) -> Response:
        def run(request: Request, body: dict[str, Any]) -> dict[str, Any]:
            flt = body.get("filter") or {}
            if flt and (flt.get("property") != "object" or flt.get("value") not in ("page", "database")):
                raise _Invalid(
                    400, 'body failed validation: body.filter.value should be "page" or "database".'
                )
            wanted = flt.get("value")
            found: list[dict[str, Any]] = []
            if wanted in (None, "database"):
                found += self.databases.values()
            if wanted in (None, "page"):
                found += [p for p in self.pages.values() if not p["archived"]]
            text = str(body.get("query") or "").lower()
            found = [r for r in found if text in _title(r).lower()]
            return self._listing(found, body)

        return await self._handle(request, run)


def _title(item: dict[str, Any]) -> str:
    if item["object"] == "database":
        return _plain(item["title"])
    return _plain(next((p["title"] for p in item["properties"].values() if p["type"] == "title"), []))


def _text_of(prop: dict[str, Any]) -> Any:
    kind = prop["type"]
    value = prop[kind]
    if kind in ("title", "rich_text"):
        return _plain(value)
    if kind == "select":
        return value["name"] if value else None
    return value


def _matches(page: dict[str, Any], flt: dict[str, Any]) -> bool:
    if "and" in flt:
        return all(_matches(page, f) for f in flt["and"])
    if "or" in flt:
        return any(_matches(page, f) for f in flt["or"])
    name = flt.get("property")
    if name not in page["properties"]:
        raise _Invalid(400, f"Could not find property with name or id: {name}")
    value = _text_of(page["properties"][name])
    for kind in ("title", "rich_text", "select", "checkbox", "number"):
        if kind not in flt:
            continue
        (op, operand), *_ = flt[kind].items()
        if op == "equals":
            return bool(value == operand)
        if op == "does_not_equal":
            return bool(value != operand)
        if op == "contains":
            return str(operand).lower() in str(value or "").lower()
        if op == "does_not_contain":
            return str(operand).lower() not in str(value or "").lower()
        if op == "starts_with":
            return str(value or "").lower().startswith(str(operand).lower())
        if op == "is_empty":
            return value in (None, "")
        if op == "is_not_empty":
            return value not in (None, "")
        if op == "greater_than":
            return value is not None and value > operand
        if op == "less_than":
            return value is not None and value < operand
        raise _Invalid(400, f"body failed validation: unsupported filter condition {op!r} for {kind}.")
    raise _Invalid(400, "body failed validation: the filter names no property type condition.")


def _sort_key(page: dict[str, Any], sort: dict[str, Any]) -> Any:
    if "timestamp" in sort:
        return page[sort["timestamp"]]
    prop = page["properties"].get(sort.get("property"))
    value = _text_of(prop) if prop else None
    return (value is None, value if value is not None else "")
