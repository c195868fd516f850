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


class ConnectorError(ToolError):
    """A connector could not do what a tool asked; the tool returns ``isError`` with this message.

    Raise it (or a subclass) from a connector's methods with words a user can act
    on. ``connector`` names the connector when known.
    """

    def __init__(self, message: str, *, connector: str | None = None) -> None:
        super().__init__(message)
        self.connector = connector


class ConnectorUnavailable(ConnectorError):
    """The service is unreachable: not connected yet, down, timing out, or its circuit is open."""


class ConnectorAuthError(ConnectorError):
    """The service refused the credentials (HTTP 401/403, a rejected refresh token, a missing credential).

    Unlike :class:`ConnectorUnavailable` this does not fix itself: the connector's
    state becomes ``error`` until the credential is corrected.
    """


class RateLimited(ConnectorError):
    """The service kept answering 429 (or a quota error) after the retries; ``retry_after`` is in seconds."""

    def __init__(
        self, message: str, *, connector: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, connector=connector)
        self.retry_after = retry_after
