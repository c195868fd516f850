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


class ClientInputError(ToolError):
    """The client cannot answer ``ctx.elicit``/``ctx.sample``/``ctx.list_roots`` on this request.

    Uncaught, it ends the call with this message as an error (on protocol
    2026-07-28 a missing capability is the JSON-RPC error -32021). Catch it to
    fall back, e.g. to a default when the client cannot ask its user.
    """


class MissingClientCapability(ClientInputError):
    """The client did not declare the capability (``"sampling"``, ``"elicitation"``, ``"roots"``) needed."""

    def __init__(self, capability: str, message: str) -> None:
        super().__init__(message)
        self.capability = capability


class NoBackChannel(ClientInputError):
    """The connection cannot carry a request to the client (stateless 2025-era HTTP, no client at all)."""
