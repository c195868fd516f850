"""Transports: how requests reach the pipeline.

- :mod:`~mcpgen.runtime.transport.http`: ``/mcp``, Streamable HTTP (read,
  classify, then the fast path or the SDK's session managers);
- :mod:`~mcpgen.runtime.transport.fastpath`: plain stateless requests
  answered without the SDK;
- :mod:`~mcpgen.runtime.transport.sdk`: the SDK's low-level ``Server``
  wired to the pipeline (sessions, streams, back channels, stdio);
- :mod:`~mcpgen.runtime.transport.security`: Host/Origin rules;
- :mod:`~mcpgen.runtime.transport.stdio`: the stdio transport.

Only this package imports the SDK's server side (``mcp.server``).
"""
