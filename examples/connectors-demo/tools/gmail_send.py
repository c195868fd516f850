"""gmail_send: send a plain-text email from the connected account."""

from __future__ import annotations

from connectors.gmail import Gmail

from mcpgen import ToolError, tool


@tool(annotations={"readOnlyHint": False, "destructiveHint": False, "openWorldHint": True})
async def gmail_send(to: str, subject: str, body: str, gmail: Gmail) -> dict[str, str]:
    """Send a plain-text email; returns the sent message's id and thread id."""
    if "@" not in to:
        raise ToolError("to must be an email address")
    return await gmail.send(to, subject, body)
