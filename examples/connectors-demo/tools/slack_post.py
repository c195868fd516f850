"""slack_post: post a message to the Slack channel of the configured incoming webhook."""

from __future__ import annotations

from connectors.slack import Slack

from mcpgen import ToolError, tool


@tool(annotations={"readOnlyHint": False, "destructiveHint": False, "openWorldHint": True})
async def slack_post(text: str, slack: Slack) -> str:
    """Post a message (Slack mrkdwn) to the webhook's channel; returns "ok" once Slack accepted it."""
    if not text.strip():
        raise ToolError("text must not be empty")
    return await slack.post(text)
