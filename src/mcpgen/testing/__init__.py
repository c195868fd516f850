"""Helpers for testing mcpgen servers and connectors (never imported by the runtime).

:class:`StandIn` runs any ASGI app (a fake of an external service) as a real
HTTP server on 127.0.0.1, with per-route fault injection, so a connector can
be tested through its real client library against a real socket::

    from mcpgen.testing import StandIn

    with StandIn(my_fake_service_app) as service:
        service.rate_limited(retry_after=1, times=2, path="/v1/*")
        ...  # point services.<name>.endpoint at service.url
"""

from mcpgen.testing.standin import ErrorRenderer, Fault, RecordedRequest, StandIn, json_error

__all__ = ["ErrorRenderer", "Fault", "RecordedRequest", "StandIn", "json_error"]
