"""Seeing inside the running server: Prometheus metrics, OpenTelemetry tracing, per-call log context.

- :mod:`.context`: the call being served (a contextvar the pipeline sets), so every log line carries
  its request id and trace id;
- :mod:`.metrics`: the Prometheus instruments, the collectors read at scrape time (Node workers,
  connectors, sessions, build info), the exposition (multi-process aware) and in-process call stats;
- :mod:`.tracing`: the tracer provider, W3C trace context from ``_meta``/headers, child spans.

The middleware that feed them live in :mod:`mcpgen.runtime.middleware` (``metrics``, ``tracing``,
``access``). Nothing here costs anything on a request when its feature is off.
"""
