"""The ``Context`` a tool receives when it declares a parameter of that type.

The runtime gives each call a :class:`ContextBackend` (the protocol side);
tool code only sees :class:`Context`. ``Context()`` with no backend works too
(logs go to the ``mcpgen.tool`` logger, progress is dropped), so a tool can be
called directly in a unit test.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Generator, Mapping, Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from mcpgen.authoring import interaction
from mcpgen.authoring.errors import ConnectorUnavailable, NoBackChannel
from mcpgen.authoring.interaction import Elicitation, Root, Sampled

LogLevel = Literal["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
LOG_LEVELS: tuple[LogLevel, ...] = (
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
)
_PY_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "notice": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "alert": logging.CRITICAL,
    "emergency": logging.CRITICAL,
}
tool_logger = logging.getLogger("mcpgen.tool")


class ContextBackend(Protocol):
    """What the runtime provides behind a Context (one per call)."""

    @property
    def request_id(self) -> str | None: ...

    def log_enabled(self, level: LogLevel) -> bool:
        """Whether a log notification at ``level`` would reach the client (checked before any work)."""
        ...

    async def send_log(self, level: LogLevel, message: str, data: dict[str, Any] | None) -> None: ...

    async def report_progress(self, progress: float, total: float | None, message: str | None) -> None: ...

    def credential(self, name: str) -> str | None: ...

    def client_supports(self, capability: str) -> bool:
        """Whether the client declared ``capability`` (``"sampling"``, ``"elicitation"``, ``"roots"``)."""
        ...

    async def ask(self, key: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send ``method`` to the client and return its answer (raises ``ClientInputError`` when it cannot)."""
        ...

    async def resource_updated(self, uri: str) -> None:
        """Tell subscribed clients that the resource at ``uri`` changed."""
        ...

    def connector(self, name: str) -> Any:
        """The running connector ``name`` (raises ``ConnectorUnavailable`` when it is not connected)."""
        ...


class _Done:
    """An already-finished awaitable: what ``ctx.log`` returns when nothing is left to wait for."""

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield


class Context:
    """Per-call context: logging to the client, progress, the request id, credentials.

    ``ctx.log(...)`` may be awaited or not: awaiting waits until the
    notification is sent; not awaiting sends it in the background, and the
    runtime flushes it before the call's result goes out.
    """

    def __init__(self, backend: ContextBackend | None = None, *, tool: str | None = None) -> None:
        self._backend = backend
        self._tool = tool
        self._pending: set[asyncio.Future[None]] = set()
        self._asked: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None

    @property
    def request_id(self) -> str | None:
        """The JSON-RPC id of the request being served (``None`` outside a request)."""
        return self._backend.request_id if self._backend is not None else None

    @property
    def tool_name(self) -> str | None:
        return self._tool

    def log(self, level: LogLevel, message: str, **data: Any) -> Awaitable[None]:
        """Log ``message`` to the server log and, as a logging notification, to the client."""
        if level not in _PY_LEVELS:
            raise ValueError(f"unknown log level {level!r}; use one of {', '.join(LOG_LEVELS)}")
        tool_logger.log(_PY_LEVELS[level], message, extra={"tool": self._tool, "request_id": self.request_id})
        if self._backend is None or not self._backend.log_enabled(level):
            return _Done()
        return self._submit(self._backend.send_log(level, message, data or None))

    def debug(self, message: str, **data: Any) -> Awaitable[None]:
        return self.log("debug", message, **data)

    def info(self, message: str, **data: Any) -> Awaitable[None]:
        return self.log("info", message, **data)

    def warning(self, message: str, **data: Any) -> Awaitable[None]:
        return self.log("warning", message, **data)

    def error(self, message: str, **data: Any) -> Awaitable[None]:
        return self.log("error", message, **data)

    async def report_progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        """Report progress to the client (a no-op when the client asked for none)."""
        if self._backend is None:
            return
        await self._backend.report_progress(progress, total, message)

    def credential(self, name: str) -> str | None:
        """The value of a declared credential, or ``None`` when it is not set."""
        if self._backend is None:
            return None
        return self._backend.credential(name)

    def connector(self, name: str) -> Any:
        """The connector named ``name``, connected and ready (its class's instance).

        Raises :class:`~mcpgen.ConnectorUnavailable` when the connector is not
        connected (the message says why), and :class:`~mcpgen.ConnectorError`
        when no connector has that name.
        """
        if self._backend is None:
            raise ConnectorUnavailable(
                f"connector {name!r}: connectors exist only in a running server", connector=name
            )
        return self._backend.connector(name)

    # asking the client -------------------------------------------------------

    def client_supports(self, capability: str) -> bool:
        """Whether the client declared ``capability``: ``"sampling"``, ``"elicitation"`` or ``"roots"``."""
        return self._backend is not None and self._backend.client_supports(capability)

    async def _ask(self, method: str, params: dict[str, Any], key: str | None) -> dict[str, Any]:
        if self._backend is None:
            raise NoBackChannel(f"{method} needs a connected client; this Context has none")
        if key is None:
            short = interaction.CAPABILITY_OF[method]
            count = self._asked.get(short, 0) + 1
            self._asked[short] = count
            key = f"{short}-{count}"
        return await self._backend.ask(key, method, params)

    async def elicit(
        self,
        message: str,
        schema: Mapping[str, Any] | type[BaseModel],
        *,
        key: str | None = None,
    ) -> Elicitation[Any]:
        """Ask the user for structured input (``elicitation/create``) and wait for the answer.

        ``schema`` is a flat JSON Schema object or a pydantic model of
        primitive fields (then ``result.data`` is a model instance). Check
        ``result.action``: ``"accept"``, ``"decline"`` or ``"cancel"``.

        On protocol 2025-11-25 this is a request over the session's back
        channel; on 2026-07-28 the call returns an ``InputRequiredResult`` and
        is run again with the answer, so code before this line runs once per
        round -- keep it free of side effects. ``key`` names the request on
        the wire (default: ``elicitation-1``, ``elicitation-2``... in call order).

        Raises :class:`~mcpgen.ClientInputError` when the client cannot answer.
        """
        params = {"message": message, "requestedSchema": interaction.elicit_schema(schema)}
        answer = await self._ask(interaction.ELICIT, params, key)
        return interaction.elicitation(answer, schema)

    async def sample(
        self,
        prompt: str | Sequence[Any],
        *,
        max_tokens: int = 512,
        system_prompt: str | None = None,
        temperature: float | None = None,
        stop_sequences: Sequence[str] | None = None,
        model_preferences: Mapping[str, Any] | None = None,
        key: str | None = None,
    ) -> Sampled:
        """Ask the client's LLM for a completion (``sampling/createMessage``).

        ``prompt`` is a string or a list of strings / ``{"role", "content"}``
        messages. Same delivery rules and errors as :meth:`elicit`.
        """
        params: dict[str, Any] = {"messages": interaction.sampling_messages(prompt), "maxTokens": max_tokens}
        optional = {
            "systemPrompt": system_prompt,
            "temperature": temperature,
            "stopSequences": list(stop_sequences) if stop_sequences is not None else None,
            "modelPreferences": dict(model_preferences) if model_preferences is not None else None,
        }
        params.update({k: v for k, v in optional.items() if v is not None})
        return interaction.sampled(await self._ask(interaction.SAMPLE, params, key))

    async def list_roots(self, *, key: str | None = None) -> list[Root]:
        """The roots (directories, projects) the client exposes (``roots/list``)."""
        return interaction.roots(await self._ask(interaction.LIST_ROOTS, {}, key))

    async def resource_updated(self, uri: str) -> None:
        """Notify clients subscribed to ``uri`` that it changed (they will read it again)."""
        if self._backend is not None:
            await self._backend.resource_updated(uri)

    def _submit(self, coro: Any) -> Awaitable[None]:
        loop = self._loop
        if loop is None:
            coro.close()
            return _Done()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            task: asyncio.Future[None] = loop.create_task(coro)
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
            return task
        # From a worker thread (sync tool): hand it to the loop and wait, keeping order.
        if (
            threading.current_thread() is threading.main_thread()
            and running is None
            and not loop.is_running()
        ):
            coro.close()
            return _Done()
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            future.result(timeout=30)
        except Exception:  # a failed notification must never fail the tool
            tool_logger.debug("log notification not delivered", exc_info=True)
        return _Done()

    async def flush(self) -> None:
        """Wait for background notifications (the runtime calls this before replying)."""
        if self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
