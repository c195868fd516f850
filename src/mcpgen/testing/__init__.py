"""Helpers for testing mcpgen servers and connectors (never imported by the runtime).

The pytest plugin (:mod:`mcpgen.testing.plugin`, registered as the ``mcpgen`` entry point of
``pytest11``) serves the workspace to tests: the fixtures ``mcp_server``, ``mcp_client``,
``mock_connector``, ``mcp_snapshot``, ``mcp_replay`` and ``mcp_docker`` (docs/testing.md).
The names below can be used without it::

    from mcpgen.testing import StandIn, assert_tool_ok

    with StandIn(my_fake_service_app) as service:
        service.rate_limited(retry_after=1, times=2, path="/v1/*")
        ...  # point services.<name>.endpoint at service.url

Names resolve lazily: pytest loads the plugin in every run, and importing this package must not
start the SDK, uvicorn or Docker for a test suite that never uses them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcpgen.testing.assertions import assert_schema_snapshot, assert_tool_error, assert_tool_ok, tool_text
    from mcpgen.testing.docker import Container, build_image, docker_available, remove_image, start_container
    from mcpgen.testing.mocks import ConnectorMock, Reply
    from mcpgen.testing.plugin import assert_replay
    from mcpgen.testing.servers import McpServer, ServerPool, client_for
    from mcpgen.testing.standin import ErrorRenderer, Fault, RecordedRequest, StandIn, json_error

_LOCATIONS = {
    "assert_replay": "plugin",
    "assert_schema_snapshot": "assertions",
    "assert_tool_error": "assertions",
    "assert_tool_ok": "assertions",
    "build_image": "docker",
    "client_for": "servers",
    "ConnectorMock": "mocks",
    "Container": "docker",
    "docker_available": "docker",
    "ErrorRenderer": "standin",
    "Fault": "standin",
    "json_error": "standin",
    "McpServer": "servers",
    "RecordedRequest": "standin",
    "remove_image": "docker",
    "Reply": "mocks",
    "ServerPool": "servers",
    "StandIn": "standin",
    "start_container": "docker",
    "tool_text": "assertions",
}

__all__ = [
    "ConnectorMock",
    "Container",
    "ErrorRenderer",
    "Fault",
    "McpServer",
    "RecordedRequest",
    "Reply",
    "ServerPool",
    "StandIn",
    "assert_replay",
    "assert_schema_snapshot",
    "assert_tool_error",
    "assert_tool_ok",
    "build_image",
    "client_for",
    "docker_available",
    "json_error",
    "remove_image",
    "start_container",
    "tool_text",
]


def __getattr__(name: str) -> Any:
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module 'mcpgen.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(f"mcpgen.testing.{module}"), name)
