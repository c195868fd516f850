"""``Tracing``: one OpenTelemetry server span per MCP request, after the MCP semantic conventions.

The span is named ``{mcp.method.name} {target}`` (``tools/call add``; the method alone when there is
no low-cardinality target), of kind SERVER, child of the W3C trace context the client sent in
``params._meta`` (``traceparent``/``tracestate``) or the HTTP headers. Attributes:
``mcp.method.name``, ``mcp.protocol.version``, ``mcp.session.id``, ``jsonrpc.request.id``,
``gen_ai.tool.name`` + ``gen_ai.operation.name=execute_tool`` (tools/call), ``gen_ai.prompt.name``
(prompts/get), ``mcp.resource.uri`` (resources/read), ``network.transport`` (``tcp``/``pipe``),
``network.protocol.name`` (``http`` over HTTP), ``mcpgen.path`` (``fast``/``sdk``); on failure
``error.type`` (``tool_error``, ``timeout``, or the JSON-RPC code) and ``rpc.response.status_code``
for JSON-RPC errors, with the span status ERROR.

Sampling is decided before any span exists: a request that carries a trace context follows its
``sampled`` flag, any other is traced with probability ``monitoring.tracing.sample_ratio``. A request
not sampled costs one random draw (its log lines still carry the client's trace id, and Node tools
still get the client's ``traceparent``).

While the span records, its tracer is in :data:`~mcpgen.runtime.telemetry.tracing.ACTIVE` so the
executors add child spans (``execute <tool>``, ``node <tool>``) and pass ``traceparent`` on to Node
tools.
"""

from __future__ import annotations

import random

import anyio
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer, get_current_span

from mcpgen._version import __version__
from mcpgen.runtime.pipeline import CallContext, CallError, Next, Result
from mcpgen.runtime.settings import Settings
from mcpgen.runtime.telemetry.tracing import ACTIVE, SCOPE, incoming_context, tracer_provider

_LOW_CARDINALITY = {"tools/call": "gen_ai.tool.name", "prompts/get": "gen_ai.prompt.name"}


class Tracing:
    """Opens the server span of each call (see the module docstring)."""

    changes_listings = False

    def __init__(self, provider: TracerProvider, sample_ratio: float = 1.0) -> None:
        self.provider = provider
        self.tracer: Tracer = provider.get_tracer(SCOPE, __version__)
        self.sample_ratio = sample_ratio

    @classmethod
    def configured(cls, settings: Settings, processor: SpanProcessor | None = None) -> Tracing:
        monitoring = settings.monitoring
        return cls(tracer_provider(monitoring, "mcpgen", processor), monitoring.sample_ratio)

    async def aclose(self) -> None:
        """Export what is still queued, then stop (at server shutdown; the export runs in a thread)."""
        await anyio.to_thread.run_sync(self.provider.shutdown)

    async def __call__(self, call: CallContext, call_next: Next) -> Result:
        headers = call.headers
        parent = incoming_context(call.meta, headers)
        if parent is None:
            ratio = self.sample_ratio
            if ratio < 1.0 and random.random() >= ratio:
                return await call_next(call)
        elif not get_current_span(parent).get_span_context().trace_flags.sampled:
            return await call_next(call)
        method = call.method
        attributes: dict[str, str] = {"mcp.method.name": method, "mcp.protocol.version": call.wire}
        attributes["network.transport"] = "tcp" if call.transport == "http" else "pipe"
        attributes["mcpgen.path"] = call.path
        if call.request_id is not None:
            attributes["jsonrpc.request.id"] = str(call.request_id)
        name = method
        key = _LOW_CARDINALITY.get(method)
        if key is not None:
            attributes[key] = call.name
            name = f"{method} {call.name}"
            if method == "tools/call":
                attributes["gen_ai.operation.name"] = "execute_tool"
        elif method == "resources/read":
            attributes["mcp.resource.uri"] = call.name
        if headers is not None:
            attributes["network.protocol.name"] = "http"
            session = headers.get("mcp-session-id")
            if session:
                attributes["mcp.session.id"] = session
        with self.tracer.start_as_current_span(
            name,
            context=parent,
            kind=SpanKind.SERVER,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            token = ACTIVE.set(self.tracer)
            try:
                result = await call_next(call)
            except CallError as exc:
                span.set_attribute("error.type", str(exc.code))
                span.set_attribute("rpc.response.status_code", str(exc.code))
                span.set_status(Status(StatusCode.ERROR, exc.message))
                raise
            except BaseException as exc:
                span.set_attribute("error.type", type(exc).__qualname__)
                span.set_status(Status(StatusCode.ERROR))
                raise
            finally:
                ACTIVE.reset(token)
            if result.get("isError") is True:
                error = "timeout" if call.state.get("outcome") == "timeout" else "tool_error"
                span.set_attribute("error.type", error)
                span.set_status(Status(StatusCode.ERROR))
            return result
