"""Connectors at run time: the hub that runs them, their auth, resilience and HTTP clients.

- :mod:`~mcpgen.runtime.connectors.hub`: :class:`ConnectorHub` and its slots (start, health,
  reconnect with backoff, state for ``/health``), how a tool gets a connector;
- :mod:`~mcpgen.runtime.connectors.resilience`: rate limit, retry policy and the
  :class:`ServiceGuard` around every call; :mod:`~mcpgen.runtime.connectors.breaker`: the
  circuit breaker;
- :mod:`~mcpgen.runtime.connectors.http_client`: the pooled ``httpx`` transport (retries,
  ``Retry-After``, spans) -- imported only by servers that have connectors;
- :mod:`~mcpgen.runtime.connectors.auth`: API key, token, basic and OAuth 2.0 refresh for those clients;
- :mod:`~mcpgen.runtime.connectors.node`: TS/JS connectors hosted in the Node workers.
"""
