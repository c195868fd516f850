"""mcpgen.testing.StandIn: a real server on 127.0.0.1 with per-route faults, stopped and restarted on one port."""

from __future__ import annotations

import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from mcpgen.testing import Fault, StandIn


async def echo(request: Request) -> Response:
    return JSONResponse({"path": request.url.path, "body": (await request.body()).decode()})


def app() -> Starlette:
    return Starlette(routes=[Route("/{rest:path}", echo, methods=["GET", "POST"])])


def test_serves_on_loopback_and_records_requests() -> None:
    with StandIn(app()) as service:
        assert service.url.startswith("http://127.0.0.1:")
        response = httpx.post(service.url + "/v1/things", content=b"hello", headers={"X-Probe": "1"})
        assert response.json() == {"path": "/v1/things", "body": "hello"}
        (seen,) = service.requests
        assert (seen.method, seen.path, seen.body, seen.headers["x-probe"]) == (
            "POST",
            "/v1/things",
            b"hello",
            "1",
        )
        assert service.requests_to("/v1/*", "post") == [seen]
        assert service.requests_to("/v2/*") == []


def test_stop_refuses_connections_and_start_answers_again_on_the_same_port() -> None:
    service = StandIn(app())
    url = service.start()
    try:
        service.stop()
        assert not service.running
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "/x", timeout=2)
        assert service.start() == url
        assert httpx.get(url + "/x").status_code == 200
    finally:
        service.stop()


def test_faults_apply_per_route_for_the_next_k_requests() -> None:
    with StandIn(app()) as service:
        service.rate_limited(retry_after=2, times=2, path="/limited/*")
        service.unauthorized(path="/secure", times=1)
        service.server_error(503, path="/flaky", times=None)
        statuses = [httpx.get(service.url + "/limited/a") for _ in range(3)]
        assert [r.status_code for r in statuses] == [429, 429, 200]
        assert statuses[0].headers["retry-after"] == "2"
        assert statuses[0].json() == {"error": "rate limited"}
        assert [httpx.get(service.url + "/secure").status_code for _ in range(2)] == [401, 200]
        assert [httpx.get(service.url + "/flaky").status_code for _ in range(3)] == [503, 503, 503]
        service.clear_faults()
        assert httpx.get(service.url + "/flaky").status_code == 200


def test_method_filter_custom_error_shape_and_message() -> None:
    def slack_like(status: int, message: str) -> Response:
        return PlainTextResponse(message.replace(" ", "_"), status_code=status)

    with StandIn(app(), error=slack_like) as service:
        fault = service.inject(Fault(path="/hook", method="POST", status=403, message="invalid token"))
        assert httpx.get(service.url + "/hook").status_code == 200
        refused = httpx.post(service.url + "/hook")
        assert (refused.status_code, refused.text) == (403, "invalid_token")
        assert fault.hits == 1


def test_slow_delays_then_passes_on() -> None:
    with StandIn(app()) as service:
        service.slow(0.5, path="/slow", times=1)
        began = time.monotonic()
        assert httpx.get(service.url + "/slow").status_code == 200
        assert time.monotonic() - began >= 0.45
        service.slow(3, path="/slower")
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(service.url + "/slower", timeout=0.3)
