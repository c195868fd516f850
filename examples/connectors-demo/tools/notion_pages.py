"""notion_get_page, notion_create_page, notion_update_page: pages (database rows) in Notion."""

from __future__ import annotations

from typing import Any

from connectors.notion import Notion, plain

from mcpgen import tool

Value = str | int | float | bool | None


@tool(annotations={"readOnlyHint": True, "openWorldHint": True})
async def notion_get_page(page_id: str, notion: Notion) -> dict[str, Any]:
    """A Notion page's id, url, title and property values."""
    return plain(await notion.get_page(page_id))


@tool(annotations={"readOnlyHint": False, "destructiveHint": False, "openWorldHint": True})
async def notion_create_page(
    database_id: str, title: str, notion: Notion, values: dict[str, Value] | None = None
) -> dict[str, Any]:
    """Add a page (row) to a Notion database: its title plus values by property name.

    values takes plain values: text, numbers, true/false for checkboxes, an option name for selects.
    """
    return plain(await notion.create_page(database_id, title, values))


@tool(
    annotations={
        "readOnlyHint": False,
        "destructiveHint": False,
        "idempotentHint": True,
        "openWorldHint": True,
    }
)
async def notion_update_page(page_id: str, values: dict[str, Value], notion: Notion) -> dict[str, Any]:
    """Set property values on a Notion page (plain values, as for notion_create_page)."""
    return plain(await notion.update_page(page_id, values))
