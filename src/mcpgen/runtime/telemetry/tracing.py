"""OpenTelemetry tracing: the tracer provider, W3C trace context in and out, child spans.

Tracing is off unless ``monitoring.tracing.enabled``; then :func:`tracer_provider` builds a provider
of our own (never the process-global one) that records every span it is asked for (the
:class:`~mcpgen.runtime.middleware.tracing.Tracing` middleware decides per request, after
``monitoring.tracing.sample_ratio`` or the client's ``sampled`` flag, whether to open one at all) and
a batching OTLP/HTTP exporter (the ``[otlp]`` extra;
endpoint from ``monitoring.tracing.endpoint`` or the ``OTEL_EXPORTER_OTLP_*`` variables).

The :class:`~mcpgen.runtime.middleware.tracing.Tracing` middleware opens the server span of each
request and, when that span is recording, puts its tracer in :data:`ACTIVE`, which the executors read
to open child spans (``execute <tool>``, ``node <tool>``) -- so with tracing off, or a request sampled
out, the executors pay one contextvar read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from mcpgen._version import __version__
from mcpgen.errors import ConfigError
from mcpgen.runtime.settings import MonitoringSettings
from mcpgen.runtime.telemetry.context import TRACER

ACTIVE = TRACER
"""The tracer of the current call while its server span records (``None``: no child spans)."""
PROPAGATOR = TraceContextTextMapPropagator()
SCOPE = "mcpgen"


def tracer_provider(
    settings: MonitoringSettings, server_name: str, processor: SpanProcessor | None = None
) -> TracerProvider:
    """A provider for ``settings`` (``processor`` default: batching OTLP/HTTP export)."""
    name = settings.service_name or os.environ.get("OTEL_SERVICE_NAME") or server_name
    resource = Resource.create({"service.name": name, "service.version": __version__})
    provider = TracerProvider(resource=resource, sampler=ParentBased(ALWAYS_ON))
    provider.add_span_processor(
        processor if processor is not None else BatchSpanProcessor(_exporter(settings))
    )
    return provider


def _exporter(settings: MonitoringSettings) -> Any:
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter,
        )
    except ImportError:
        raise ConfigError(
            "monitoring.tracing.enabled needs the OTLP exporter: pip install 'mcpgen[otlp]'",
            key="monitoring.tracing.enabled",
        ) from None
    endpoint = settings.tracing_endpoint
    if endpoint is None:
        return OTLPSpanExporter()  # OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, or localhost:4318
    return OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")


def incoming_context(meta: Mapping[str, Any] | None, headers: Mapping[str, str] | None) -> Context | None:
    """The W3C trace context a client sent: ``params._meta`` (``traceparent``/``tracestate``) first,
    then the HTTP headers; ``None`` when neither carries one."""
    if meta is not None and isinstance(meta.get("traceparent"), str):
        return PROPAGATOR.extract(meta)
    if headers is not None and headers.get("traceparent") is not None:
        return PROPAGATOR.extract(headers)
    return None


def outgoing_traceparent() -> dict[str, str]:
    """``traceparent`` (and ``tracestate``) of the current span, to hand to a Node worker call."""
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier


def current_trace_id() -> str | None:
    """The trace id of the current span (recording or not), if there is one."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
