"""Connector HTTP calls as CLIENT spans under the tool's span, with ``traceparent`` passed to the
service: a Python connector against a real HTTP stand-in on 127.0.0.1 (:class:`mcpgen.testing.StandIn`),
spans caught by the in-memory exporter, on the fast path and the SDK path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mcpgen.config.models import RetryConfig, ServiceConfig
from mcpgen.manifest import Manifest
from mcpgen.runtime import Settings, create_app
from mcpgen.runtime.middleware.metrics import Metrics
from mcpgen.runtime.middleware.tracing import Tracing
from mcpgen.testing import StandIn
from mcpgen.workflows.generate import generate

from .test_tracing import PARENT, TRACE, TRACEPARENT, send

pytestmark = pytest.mark.anyio

CONNECTOR = """
from typing import Any

from mcpgen import Connector, connector


@connector(name="svc", kind="http", required=False, endpoint="https://svc.invalid")
class Svc(Connector):
    async def health(self) -> bool:
        return (await self.http.get("/health")).status_code == 200

    async def ping(self, text: str) -> dict[str, Any]:
        response = await self.http.get("/ping", params={"text": text, "token": "query-secret"})
        return {"status": response.status_code, **response.json()}
"""
TOOL = '''
from typing import Any

from connectors.svc import Svc
from mcpgen import tool


@tool
async def ping(text: str, svc: Svc) -> dict[str, Any]:
    """Ping the service."""
    return await svc.ping(text)
'''


async def _ping(request: Request) -> JSONResponse:
    status = 503 if request.query_params.get("text") == "fail" else 200
    return JSONResponse({"echo": request.query_params.get("text")}, status_code=status)


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandIn]:
    app = Starlette(routes=[Route("/ping", _ping), Route("/health", lambda r: JSONResponse({}))])
    with StandIn(app) as running:
        yield running


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    root = tmp_path_factory.mktemp("spans") / "ws"
    (root / "connectors").mkdir(parents=True)
    (root / "tools").mkdir()
    (root / "mcpgen.yaml").write_text("name: spans\nversion: 0.1.0\n")
    (root / "connectors" / "svc.py").write_text(CONNECTOR)
    (root / "tools" / "ping.py").write_text(TOOL)
    gen = generate(root)
    assert gen.report.ok, str(gen.report)
    assert gen.manifest is not None
    return root, gen.manifest


async def _call(
    workspace: tuple[Path, Manifest], stand_in: StandIn, exporter: InMemorySpanExporter, fast: bool, text: str
) -> dict[str, object]:
    root, manifest = workspace
    retry = RetryConfig(max_retries=0, initial=0.05, max=0.1)
    settings = Settings.of(
        root, fast_path=fast, services={"svc": ServiceConfig(endpoint=stand_in.url, retry=retry)}
    ).with_options(tracing=True)
    tracing = Tracing.configured(settings, SimpleSpanProcessor(exporter))
    app = create_app(manifest, settings, middleware=[tracing, Metrics()])
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            return await send(client, "legacy", "ping", {"text": text}, meta={"traceparent": TRACEPARENT})


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "sdk"])
async def test_a_connector_call_is_a_client_span_under_the_tool_and_the_service_gets_traceparent(
    workspace: tuple[Path, Manifest], stand_in: StandIn, fast: bool
) -> None:
    exporter = InMemorySpanExporter()
    seen = len(stand_in.requests)
    answer = await _call(workspace, stand_in, exporter, fast, "hi")
    assert answer["result"]["structuredContent"] == {"status": 200, "echo": "hi"}  # type: ignore[index]
    spans = exporter.get_finished_spans()
    server = next(s for s in spans if s.name == "tools/call ping")
    execute = next(s for s in spans if s.name == "execute ping")
    clients = [s for s in spans if s.kind is SpanKind.CLIENT]
    assert len(clients) == 1, [s.name for s in spans]  # health checks run outside any call: not traced
    http = clients[0]
    assert http.name == "GET"
    assert http.parent is not None
    assert http.parent.span_id == execute.context.span_id
    assert format(http.context.trace_id, "032x") == TRACE == format(server.context.trace_id, "032x")
    attributes = dict(http.attributes or {})
    assert attributes["http.request.method"] == "GET"
    assert attributes["url.full"] == f"{stand_in.url}/ping"  # no query string: it may carry secrets
    assert attributes["server.address"] == "127.0.0.1"
    assert attributes["server.port"] == stand_in.port
    assert attributes["http.response.status_code"] == 200
    assert attributes["mcpgen.connector"] == "svc"
    assert http.status.status_code is StatusCode.UNSET
    pings = [r for r in stand_in.requests[seen:] if r.path == "/ping"]
    assert len(pings) == 1
    sent = pings[0].headers["traceparent"]
    assert sent == f"00-{TRACE}-{format(http.context.span_id, '016x')}-01"
    assert PARENT not in sent  # the service's parent is the HTTP span, not the client's


async def test_a_failed_answer_marks_the_span(workspace: tuple[Path, Manifest], stand_in: StandIn) -> None:
    exporter = InMemorySpanExporter()
    await _call(workspace, stand_in, exporter, True, "fail")
    http = next(s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT)
    attributes = dict(http.attributes or {})
    assert attributes["http.response.status_code"] == 503
    assert attributes["error.type"] == "503"
    assert http.status.status_code is StatusCode.ERROR
