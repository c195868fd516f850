"""The executor interface: what the pipeline hands user code, and what it may raise back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mcpgen.authoring import Context
    from mcpgen.runtime.connectors.hub import ConnectorHub
    from mcpgen.runtime.executors.python import ThreadPool


@dataclass(frozen=True, slots=True)
class Invocation:
    """One call of user code, as the pipeline prepared it.

    ``arguments`` already passed the target's JSON Schema; ``connectors`` holds
    the connector instances the target declared (``ConnectorHub.get``);
    ``time_limit`` is enforced by the pipeline (an executor may use it to stop
    work it owns elsewhere, as the Node pool does).
    """

    name: str
    arguments: Mapping[str, Any]
    context: Context
    connectors: Mapping[str, Any]
    hub: ConnectorHub | None
    request_id: Any
    time_limit: float
    threads: ThreadPool
    """The process's bounded pool for sync Python functions."""


class Executor(Protocol):
    """Runs one invocation and returns what the user code returned."""

    async def execute(self, invocation: Invocation) -> Any:
        """The code's return value. Raises :class:`InvalidArguments` when the arguments cannot be
        bound, :class:`~mcpgen.authoring.ToolError` for a failure meant for the caller, or whatever
        the code raised; cancellation of the caller cancels (or abandons) the call."""
        ...


class InvalidArguments(Exception):
    """The arguments passed the schema but cannot be bound to the code (JSON-RPC -32602)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Passthrough:
    """A ready-made wire result (a TS/JS handler's ``{content: [...]}``), sent as it is."""

    result: dict[str, Any]
