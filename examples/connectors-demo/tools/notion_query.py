"""notion_query: rows of a Notion database; gets the connector with ctx.connector("notion")."""

from __future__ import annotations

from typing import Any, cast

from connectors.notion import Notion, plain

from mcpgen import Context, tool


@tool(annotations={"readOnlyHint": True, "openWorldHint": True})
async def notion_query(
    database_id: str,
    ctx: Context,
    filter: dict[str, Any] | None = None,
    sorts: list[dict[str, Any]] | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Query a Notion database; filter and sorts are Notion's own filter and sort objects.

    Example filter: {"property": "Status", "select": {"equals": "Todo"}}.
    Returns each page's id, url, title and property values as plain text, numbers and booleans.
    """
    notion = cast(Notion, ctx.connector("notion"))
    pages = await notion.query_database(database_id, filter=filter, sorts=sorts, limit=limit)
    return [plain(page) for page in pages]
