"""Local stand-ins for the services the demo's connectors call: Gmail, Notion, a Slack webhook.

Each is a :class:`mcpgen.testing.StandIn` (a real HTTP server on 127.0.0.1)
answering the endpoints the connectors use, in the real APIs' documented
shapes, so the official client libraries (google-api-python-client,
notion-client) parse them unchanged. Point ``services.<name>.endpoint`` at
one and the connector talks to it instead of the real service; nothing in the
connectors knows the difference.

``python -m standins`` (from examples/connectors-demo) starts all three and
prints the settings to use them with ``mcpgen dev``.
"""

from standins.gmail import GmailStandIn
from standins.notion import NotionStandIn
from standins.slack import SlackStandIn

__all__ = ["GmailStandIn", "NotionStandIn", "SlackStandIn"]
