"""Which answer a request needs (plain JSON, a stream, or the session): ``route_of`` is pure."""

from __future__ import annotations

from typing import Any

import pytest

from mcpgen.runtime.transport.http import route_of


def streams_for(*names: str) -> Any:
    return lambda method, params: method == "tools/call" and params.get("name") in names


@pytest.mark.parametrize(
    ("message", "route"),
    [
        ({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}, "plain"),
        ({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "add"}}, "plain"),
        ({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "ask"}}, "stream"),
        (
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": "add", "_meta": {"progressToken": 3}},
            },
            "stream",
        ),
        ({"jsonrpc": "2.0", "id": 1, "method": "subscriptions/listen", "params": {}}, "stream"),
        ({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}, "session"),
        ({"jsonrpc": "2.0", "id": 1, "method": "resources/subscribe", "params": {"uri": "a://b"}}, "session"),
        ({"jsonrpc": "2.0", "method": "notifications/initialized"}, "session"),
        ({"jsonrpc": "2.0", "id": 9, "result": {"action": "accept"}}, "session"),
        ([{"jsonrpc": "2.0", "id": 1, "method": "ping"}], "plain"),
        (None, "plain"),
    ],
)
def test_route_of(message: Any, route: str) -> None:
    assert route_of(message, streams_for("ask")) == route
