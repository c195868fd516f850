"""What tool authors raise."""

from __future__ import annotations


class ToolError(Exception):
    """Raise from a tool to return ``isError: true`` with this message to the client.

    Any *other* exception becomes a generic error for the client; its details go
    only to the server log.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
