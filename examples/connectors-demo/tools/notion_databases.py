"""notion_databases: list the Notion databases shared with the integration."""

from __future__ import annotations

from typing import Any

from connectors.notion import Notion

from mcpgen import tool


@tool(annotations={"readOnlyHint": True, "openWorldHint": True})
async def notion_databases(notion: Notion, query: str = "") -> list[dict[str, Any]]:
    """List Notion databases (id, title, url, property names) whose title contains query."""
    return await notion.list_databases(query)
