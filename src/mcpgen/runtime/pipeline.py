"""The call pipeline: every MCP request that reaches user code, on any wire, goes through here.

::

    transport (fast path │ SDK handlers │ stdio)
        ─▶ CallContext (method, name, arguments, request id, wire, path, client, _meta, headers)
        ─▶ middleware[0] ─▶ middleware[1] ─▶ … (each: ``async (call, call_next) -> result``)
        ─▶ dispatch: tools/call │ resources/read │ prompts/get │ the four lists
        ─▶ target.executor.execute(Invocation)   (Python │ Node; one interface)
        ─▶ result (a wire dict) │ CallError (a JSON-RPC error)

A middleware is any object with one async method ``__call__(call, call_next)``:
it may look at or change the :class:`CallContext`, answer without calling
``call_next`` (a guard refusing a call), raise :class:`CallError`, or wrap
``await call_next(call)`` (timing, tracing, audit). The chain is composed
once when the pipeline is built; with no middleware a call is one function
call away from its dispatch.

Failures are mapped to answers here, once, for every language and wire:

- ``tools/call``: unknown tool or invalid arguments → JSON-RPC -32602; a
  :class:`~mcpgen.authoring.ToolError` → ``isError`` with its message; the
  time limit → ``isError`` ``Tool 'x' timed out after Ns``; a connector that
  is not connected → ``isError`` saying why, without running the tool; a
  service error a connector let escape → ``isError`` explaining it; anything
  else → ``isError`` with a generic message carrying the request id (the
  traceback only in the server log).
- ``resources/read`` and ``prompts/get``: failures are JSON-RPC errors (the
  protocol has no ``isError`` for them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, Protocol

import mcp_types as types
from mcp.shared.exceptions import MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from mcpgen.authoring import ConnectorError, Context, MissingClientCapability, ToolError
from mcpgen.errors import ToolTimeoutError
from mcpgen.runtime.asking import InputRequired, InputRound, run_round
from mcpgen.runtime.connectors.hub import explain
from mcpgen.runtime.executors import Executor, InvalidArguments, Invocation, Passthrough, ThreadPool
from mcpgen.runtime.results import prompt_result, resource_contents, text_size, tool_error, tool_result
from mcpgen.runtime.telemetry.context import CURRENT, TRACER

if TYPE_CHECKING:
    from mcpgen.authoring import ContextBackend
    from mcpgen.runtime.registry import Registry
    from mcpgen.runtime.state import RuntimeState

logger = logging.getLogger("mcpgen.runtime")

Result = dict[str, Any]
Next = Callable[["CallContext"], Awaitable[Result]]
Wire = str
"""The protocol version the request speaks (``2025-11-25``, ``2026-07-28``, ...)."""
UNCACHED: Mapping[str, Any] = {"ttlMs": 0, "cacheScope": "private", "resultType": "complete"}
"""2026-07-28 caching directives for listings and reads: immediately stale, not shared."""
METHODS = frozenset(
    {"tools/call", "tools/list", "resources/read", "resources/list", "resources/templates/list"}
    | {"prompts/get", "prompts/list"}
)
"""The methods the pipeline answers."""


class CallError(Exception):
    """A JSON-RPC error answer (``code``, ``message``, optional ``data``).

    ``http_status`` and ``http_headers`` ask the HTTP transports to answer
    with that status and those headers (a rate limit's 429 and
    ``Retry-After``), on the fast path and the SDK path alike; stdio and SSE
    answers carry only the JSON-RPC error.
    """

    def __init__(
        self,
        code: int,
        message: str,
        data: Any = None,
        *,
        http_status: int | None = None,
        http_headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        self.http_status = http_status
        self.http_headers = http_headers

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """``http_headers`` as ASGI header pairs."""
        headers = self.http_headers or {}
        return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    def to_wire(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def invalid_params(message: str) -> CallError:
    return CallError(types.INVALID_PARAMS, message)


CLIENT_SCOPE_KEY = "mcpgen.client"
"""The ASGI scope key the auth layer puts the caller's :class:`ClientIdentity` under (transports read it)."""


@dataclass(frozen=True, slots=True)
class ClientIdentity:
    """Who is calling, as an auth middleware established it (``CallContext.client``).

    ``via`` says how (``api_key``, ``jwt``, ``oauth``, ``stdio``, ...); ``roles``
    and ``scopes`` are what authorization decides on; ``claims`` keeps the rest
    of what the credential said (never the credential itself).
    """

    id: str
    via: str
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    claims: Mapping[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    """What a request's transport offers user code besides the answer (the SDK path's session).

    Absent on the fast path, which only takes requests whose handler cannot
    log, report progress or ask the client.
    """

    @property
    def input_round(self) -> InputRound | None:
        """The 2026-07-28 input round (``ctx.elicit`` & co. answered from ``inputResponses``), if any."""
        ...

    def backend(self, name: str, credentials: frozenset[str]) -> ContextBackend:
        """The :class:`~mcpgen.authoring.ContextBackend` for a ``Context`` of target ``name``."""
        ...


@dataclass(slots=True)
class CallContext:
    """One request on its way through the pipeline.

    ``name`` is the tool or prompt name, or the resource URI (empty for the
    lists). ``client`` is the caller's identity once an auth middleware has
    set it; ``state`` is scratch space middleware share within one call.
    """

    method: str
    name: str
    arguments: Mapping[str, Any]
    request_id: Any
    wire: Wire
    transport: Literal["http", "stdio"]
    path: Literal["fast", "sdk"]
    registry: Registry
    meta: Mapping[str, Any] | None = None
    """``params._meta`` as plain data (trace context, progress token, envelope)."""
    headers: Mapping[str, str] | None = None
    """The HTTP request's headers (lower-case names), ``None`` on stdio."""
    peer: str | None = None
    """The network address the request came from (HTTP), ``None`` on stdio."""
    client: ClientIdentity | None = None
    channel: Channel | None = None
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def modern(self) -> bool:
        return self.wire in MODERN_PROTOCOL_VERSIONS


class Middleware(Protocol):
    """One step of the chain: look, change, refuse, or wrap ``call_next``.

    A class attribute ``changes_listings = False`` says it leaves listing results as they are (it may
    still time, count or refuse them): see :attr:`Pipeline.lists_cacheable`.
    """

    async def __call__(self, call: CallContext, call_next: Next) -> Result: ...


def compose(middleware: Sequence[Middleware], last: Next) -> Next:
    """``middleware[0]`` outermost, ``last`` innermost, bound once."""
    handler = last
    for step in reversed(middleware):
        handler = partial(step, call_next=handler)
    return handler


_NO_CONTEXT = Context()
"""Passed to targets that take no Context (it is never injected)."""


async def _listed(call: CallContext) -> Result:
    """The end of :meth:`Pipeline.observe`'s chain: an empty result, the answer comes from the listing cache."""
    return {}


def _internal(what: str, request_id: Any) -> CallError:
    return CallError(types.INTERNAL_ERROR, f"{what} failed with an internal error (request id {request_id})")


class Pipeline:
    """The middleware chain around the dispatch to executors, bound to one :class:`RuntimeState`."""

    def __init__(self, state: RuntimeState, middleware: Sequence[Middleware] = ()) -> None:
        self._state = state
        self.middleware: tuple[Middleware, ...] = tuple(middleware)
        self._chain: Next = compose(self.middleware, self._dispatch)
        self._observe_chain: Next = compose(self.middleware, _listed)
        self._lists_cacheable = all(
            getattr(step, "changes_listings", True) is False for step in self.middleware
        )

    async def handle(self, call: CallContext) -> Result:
        """Run one call through the chain: returns the wire result or raises :class:`CallError`.

        The call is the log context meanwhile (:data:`mcpgen.runtime.telemetry.context.CURRENT`).
        """
        token = CURRENT.set(call)
        try:
            return await self._chain(call)
        finally:
            CURRENT.reset(token)

    @property
    def _max_result(self) -> int:
        return self._state.settings.execution.max_result_size

    def _oversized(self, what: str, size: int) -> str:
        limit = self._max_result
        return (
            f"{what} returned more than {limit} bytes (at least {size}), over the server's limit "
            "(server.max_result_size); return less, or page through it"
        )

    @property
    def threads(self) -> ThreadPool:
        return self._state.threads

    @property
    def registry(self) -> Registry:
        """The registry new requests use (read it once per request)."""
        return self._state.registry

    @property
    def lists_cacheable(self) -> bool:
        """Whether a listing is the same for every caller: every middleware says ``changes_listings = False``.

        A middleware without that class attribute is taken to change them (filter per caller, like RBAC).
        """
        return self._lists_cacheable

    async def observe(self, call: CallContext) -> None:
        """Run the chain for a listing answered from a cache: the middleware time, count, trace or refuse
        it as usual, only the dispatch is skipped (its result is the cache's to give, see
        :attr:`lists_cacheable`); raises :class:`CallError` when a middleware refuses."""
        token = CURRENT.set(call)
        try:
            await self._observe_chain(call)
        finally:
            CURRENT.reset(token)

    async def _dispatch(self, call: CallContext) -> Result:
        method = call.method
        if method == "tools/call":
            return await self._call_tool(call)
        registry = call.registry
        if method == "tools/list":
            return {**UNCACHED, "tools": list(registry.tool_listing)}
        if method == "resources/read":
            return await self._read_resource(call)
        if method == "prompts/get":
            return await self._get_prompt(call)
        if method == "resources/list":
            return {**UNCACHED, "resources": list(registry.resource_listing)}
        if method == "resources/templates/list":
            return {**UNCACHED, "resourceTemplates": list(registry.template_listing)}
        if method == "prompts/list":
            return {**UNCACHED, "prompts": list(registry.prompt_listing)}
        raise CallError(types.METHOD_NOT_FOUND, "Method not found", method)

    def _context(self, call: CallContext, name: str, credentials: frozenset[str]) -> Context:
        channel = call.channel
        return Context(channel.backend(name, credentials) if channel is not None else None, tool=name)

    # tools -----------------------------------------------------------------

    async def _call_tool(self, call: CallContext) -> Result:
        tool = call.registry.tools.get(call.name)
        if tool is None:
            raise invalid_params(f"Unknown tool: {call.name}")
        problems = tool.argument_errors(call.arguments)
        if problems:
            detail = "; ".join(f"{field}: {problem}" for field, problem in problems)
            raise invalid_params(f"Invalid arguments for tool '{tool.name}': {detail}")
        hub = self._state.connectors
        try:
            connectors = {name: hub.get(name) for name in tool.connectors}
        except ConnectorError as exc:  # not connected: say why without running the tool
            return tool_error(f"Tool '{tool.name}' cannot run: {exc.message}")
        wants_context = tool.wants_context
        context = self._context(call, tool.name, tool.credentials) if wants_context else _NO_CONTEXT
        channel = call.channel
        round_ = channel.input_round if channel is not None and wants_context else None
        invocation = Invocation(
            tool.name, call.arguments, context, connectors, hub, call.request_id, tool.timeout, self.threads
        )
        extra = {"tool": tool.name, "request_id": call.request_id}
        try:
            value = await execute(tool.executor, invocation, round_)
            raw = value.result if isinstance(value, Passthrough) else value
            size = text_size(raw, self._max_result)
            if size > self._max_result:
                del value, raw  # let the oversized result go before answering
                logger.warning("tool result refused: over %d bytes", self._max_result, extra=extra)
                result = tool_error(self._oversized(f"Tool '{tool.name}'", size))
            else:
                result = raw if isinstance(value, Passthrough) else tool_result(tool, value)
        except InputRequired as exc:
            result = exc.result
        except InvalidArguments as exc:
            raise invalid_params(f"Invalid arguments for tool '{tool.name}': {exc.message}") from None
        except MissingClientCapability as exc:
            if call.modern:
                raise _missing_capability(exc.capability, f"Tool '{tool.name}'") from None
            result = tool_error(str(exc))
        except ToolError as exc:
            logger.debug("tool returned an error", extra=extra)
            result = tool_error(str(exc))
        except ToolTimeoutError as exc:
            call.state["outcome"] = "timeout"
            logger.warning("tool timed out after %gs", exc.timeout, extra=extra)
            result = tool_error(f"Tool '{tool.name}' timed out after {exc.timeout:g}s")
        except MCPError as exc:
            raise CallError(exc.error.code, exc.error.message, exc.error.data) from None
        except Exception as exc:
            explained = explain(exc)
            if explained is not None:  # a service error a connector let escape
                logger.warning("tool failed: %s", explained, extra=extra)
                result = tool_error(f"Tool '{tool.name}' failed: {explained}")
            else:
                logger.exception("tool failed", extra=extra)
                result = tool_error(
                    f"Tool '{tool.name}' failed with an internal error (request id {call.request_id})"
                )
        if context is not _NO_CONTEXT:
            await context.flush()
        return result

    # resources and prompts -------------------------------------------------

    async def _read_resource(self, call: CallContext) -> Result:
        uri = call.name
        found = call.registry.find_resource(uri)
        if found is None:
            raise CallError(types.INVALID_PARAMS, f"Resource not found: {uri}", {"uri": uri})
        resource, variables = found
        name = resource.entry.name
        wants_context = resource.definition.context_param is not None
        value = await self._run_other(
            call, resource.executor, variables, name, f"Resource '{name}'", wants_context
        )
        if isinstance(value, InputRequired):
            return value.result
        size = text_size(value, self._max_result)
        if size > self._max_result:
            del value
            raise CallError(types.INTERNAL_ERROR, self._oversized(f"Resource '{name}'", size))
        return {**UNCACHED, **resource_contents(uri, value, resource.entry.mime_type)}

    async def _get_prompt(self, call: CallContext) -> Result:
        prompt = call.registry.prompts.get(call.name)
        if prompt is None:
            raise invalid_params(f"Unknown prompt: {call.name}")
        arguments = call.arguments
        missing = [name for name in prompt.required if name not in arguments]
        if missing:
            raise invalid_params(f"Missing required arguments for prompt '{call.name}': {', '.join(missing)}")
        what = f"Prompt '{call.name}'"
        wants_context = prompt.definition.context_param is not None
        value = await self._run_other(call, prompt.executor, arguments, call.name, what, wants_context)
        if isinstance(value, InputRequired):
            return value.result
        try:
            return prompt_result(value, prompt.entry.description)
        except TypeError:
            logger.exception("prompt returned an unusable value", extra={"prompt": call.name})
            raise _internal(what, call.request_id) from None

    async def _run_other(
        self,
        call: CallContext,
        executor: Executor,
        arguments: Mapping[str, Any],
        name: str,
        what: str,
        wants_context: bool,
    ) -> Any:
        """Run a resource or prompt function; failures become JSON-RPC errors (``InputRequired`` is returned)."""
        channel = call.channel
        context = self._context(call, name, frozenset()) if wants_context else _NO_CONTEXT
        round_ = channel.input_round if channel is not None and wants_context else None
        limit = self._state.settings.execution.default_timeout
        invocation = Invocation(what, arguments, context, {}, None, call.request_id, limit, self.threads)
        extra = {"target": name, "request_id": call.request_id}
        try:
            return await execute(executor, invocation, round_)
        except InputRequired as exc:
            return exc
        except MissingClientCapability as exc:
            if call.modern:
                raise _missing_capability(exc.capability, what) from None
            raise CallError(types.INTERNAL_ERROR, str(exc)) from None
        except (ToolError, InvalidArguments) as exc:
            raise CallError(types.INTERNAL_ERROR, str(exc)) from None
        except ToolTimeoutError:
            call.state["outcome"] = "timeout"
            logger.warning("timed out after %gs", limit, extra=extra)
            raise CallError(types.INTERNAL_ERROR, f"{what} timed out after {limit:g}s") from None
        except MCPError as exc:
            raise CallError(exc.error.code, exc.error.message, exc.error.data) from None
        except Exception:
            logger.exception("%s failed", what, extra=extra)
            raise _internal(what, call.request_id) from None
        finally:
            if context is not _NO_CONTEXT:
                await context.flush()


async def execute(executor: Executor, invocation: Invocation, round_: InputRound | None = None) -> Any:
    """``executor.execute(invocation)`` under the invocation's time limit (and the 2026-07-28 input round).

    The one place a call's time limit is enforced: past it the call is
    cancelled (a sync Python function's thread is abandoned, a Node call is
    cancelled in its worker) and :class:`~mcpgen.errors.ToolTimeoutError` raised.
    """

    async def call() -> Any:
        running = executor.execute(invocation)
        try:
            try:
                step = running.send(None)
            except StopIteration as finished:  # done without waiting: no time limit could have fired
                return finished.value
            async with asyncio.timeout(invocation.time_limit):
                return await _Resumed(running, step)
        except TimeoutError:
            limit = invocation.time_limit
            message = f"{invocation.name} timed out after {limit:g}s"
            raise ToolTimeoutError(message, tool=invocation.name, timeout=limit) from None

    tracer = TRACER.get()
    if tracer is not None:  # the request's span records: this run is its child
        span = f"execute {invocation.name}"
        with tracer.start_as_current_span(span, attributes={"mcpgen.time_limit": invocation.time_limit}):
            return await (call() if round_ is None else run_round(call, round_))
    if round_ is None:
        return await call()
    return await run_round(call, round_)


class _Resumed:
    """Awaiting this finishes a coroutine that already ran its first step and yielded ``step``.

    :func:`execute` runs the first step of a call outside any time limit: most async tools return
    without ever waiting, and arming and cancelling a timer for them is a measurable share of the fast
    path. Only a call that waits is finished under ``asyncio.timeout``, through this: it hands the
    future the coroutine waits on to the task, and passes what the task sends or throws (a
    cancellation, when the time limit fires) back into the coroutine, as ``await`` would.
    """

    __slots__ = ("_coro", "_step")

    def __init__(self, coro: Coroutine[Any, Any, Any], step: Any) -> None:
        self._coro = coro
        self._step = step

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, step = self._coro, self._step
        while True:
            try:
                sent = yield step
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # whatever the task throws goes on to the coroutine
                try:
                    step = coro.throw(exc)
                except StopIteration as finished:
                    return finished.value
            else:
                try:
                    step = coro.send(sent)
                except StopIteration as finished:
                    return finished.value


def _missing_capability(capability: str, what: str) -> CallError:
    """The 2026-07-28 ``MissingRequiredClientCapabilityError`` (-32021)."""
    return CallError(
        types.MISSING_REQUIRED_CLIENT_CAPABILITY,
        f"{what} needs the client capability '{capability}', which the client did not declare",
        {"requiredCapabilities": {capability: {}}},
    )
