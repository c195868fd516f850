"""gmail_search: search the mailbox; the Gmail connector arrives by annotation (not an input)."""

from __future__ import annotations

from connectors.gmail import Gmail, Message

from mcpgen import ToolError, tool


@tool(annotations={"readOnlyHint": True, "openWorldHint": True})
async def gmail_search(gmail: Gmail, query: str = "", max_results: int = 10) -> list[Message]:
    """Search Gmail with Gmail's search syntax (from:, to:, subject:, is:unread, words); "" lists the newest.

    Returns each message's id, sender, recipient, subject, date, snippet and unread flag.
    """
    if not 1 <= max_results <= 100:
        raise ToolError("max_results must be between 1 and 100")
    return await gmail.search(query, max_results)
