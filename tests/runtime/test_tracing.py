"""OpenTelemetry tracing: one server span per MCP request with child spans, W3C context honoured.

Spans are caught with the SDK's in-memory exporter on both paths and both wires, and once more through
the real OTLP/HTTP exporter against a small receiver on 127.0.0.1 that decodes what it is sent.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx2
import orjson
import pytest
from mcp import Client
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from mcpgen.runtime import Registry, RuntimeState, Settings, build_server, create_app
from mcpgen.runtime.middleware import configured
from mcpgen.runtime.middleware.metrics import Metrics
from mcpgen.runtime.middleware.tracing import Tracing
from mcpgen.runtime.pipeline import Pipeline
from mcpgen.runtime.telemetry.metrics import Instruments, exposition

from .conftest import SRC, fixture_files, make_manifest
from .test_fastpath import ENVELOPE, legacy, modern
from .test_metrics import samples, value

pytestmark = pytest.mark.anyio
TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE}-{PARENT}-01"


@asynccontextmanager
async def traced(
    tmp_path: Path, exporter: InMemorySpanExporter, ratio: float = 1.0, **settings: Any
) -> AsyncIterator[httpx2.AsyncClient]:
    manifest, s = make_manifest(tmp_path, fixture_files("basic"), **settings)
    s = s.with_options(tracing=True, sample_ratio=ratio)
    tracing = Tracing.configured(s, SimpleSpanProcessor(exporter))
    app = create_app(manifest, s, middleware=[tracing, Metrics()])
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            yield client


async def send(
    client: httpx2.AsyncClient,
    wire: str,
    name: str,
    arguments: dict[str, Any],
    *,
    meta: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    id: int = 7,
) -> dict[str, Any]:
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    if wire == "modern":
        params["_meta"] = {**ENVELOPE, **(meta or {})}
        base = modern("tools/call", name)
    else:
        if meta:
            params["_meta"] = meta
        base = legacy()
    message = {"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params}
    response = await client.post("/mcp", content=orjson.dumps(message), headers={**base, **(headers or {})})
    answer: dict[str, Any] = orjson.loads(response.content)
    return answer


def by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {span.name: span for span in spans}


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast", "sdk"])
@pytest.mark.parametrize("wire", ["legacy", "modern"])
async def test_a_span_per_request_with_the_executor_as_child(
    tmp_path: Path, fast_path: bool, wire: str
) -> None:
    exporter = InMemorySpanExporter()
    async with traced(tmp_path, exporter, fast_path=fast_path) as client:
        answer = await send(client, wire, "add", {"a": 1, "b": 2}, meta={"traceparent": TRACEPARENT})
        assert answer["result"]["structuredContent"] == {"result": 3}
    spans = by_name(exporter.get_finished_spans())
    server, child = spans["tools/call add"], spans["execute add"]
    assert server.kind is SpanKind.SERVER
    assert format(server.context.trace_id, "032x") == TRACE
    assert server.parent is not None
    assert format(server.parent.span_id, "016x") == PARENT
    assert child.parent is not None
    assert child.parent.span_id == server.context.span_id
    attributes = dict(server.attributes or {})
    assert attributes["mcp.method.name"] == "tools/call"
    assert attributes["gen_ai.tool.name"] == "add"
    assert attributes["gen_ai.operation.name"] == "execute_tool"
    assert attributes["jsonrpc.request.id"] == "7"
    assert attributes["mcp.protocol.version"] == ("2026-07-28" if wire == "modern" else "2025-11-25")
    assert attributes["mcpgen.path"] == ("fast" if fast_path else "sdk")
    assert attributes["network.transport"] == "tcp"
    assert server.status.status_code is StatusCode.UNSET


async def test_trace_context_from_http_headers(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    async with traced(tmp_path, exporter) as client:
        await send(client, "legacy", "add", {"a": 1, "b": 2}, headers={"traceparent": TRACEPARENT})
    server = by_name(exporter.get_finished_spans())["tools/call add"]
    assert format(server.context.trace_id, "032x") == TRACE


async def test_failures_mark_the_span(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    async with traced(tmp_path, exporter) as client:
        await send(client, "legacy", "refuse", {"reason": "no"})
        await send(client, "legacy", "hang", {})
        unknown = await send(client, "legacy", "no-such-tool", {})
        assert unknown["error"]["code"] == -32602
    spans = by_name(exporter.get_finished_spans())
    refused, hung, missing = (
        spans["tools/call refuse"],
        spans["tools/call hang"],
        spans["tools/call no-such-tool"],
    )
    assert (refused.attributes or {})["error.type"] == "tool_error"
    assert (hung.attributes or {})["error.type"] == "timeout"
    assert (missing.attributes or {})["error.type"] == "-32602"
    assert (missing.attributes or {})["rpc.response.status_code"] == "-32602"
    for span in (refused, hung, missing):
        assert span.status.status_code is StatusCode.ERROR


async def test_sampling_ratio_zero_records_nothing_unless_the_parent_was_sampled(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    async with traced(tmp_path, exporter, ratio=0.0) as client:
        for _ in range(5):
            await send(client, "legacy", "add", {"a": 1, "b": 2})
        assert exporter.get_finished_spans() == ()
        await send(client, "legacy", "add", {"a": 1, "b": 2}, meta={"traceparent": TRACEPARENT})
    assert [s.name for s in exporter.get_finished_spans()] == ["execute add", "tools/call add"]


def test_tracing_off_loads_no_sdk(tmp_path: Path) -> None:
    """Off by default: the chain has no tracing step and the OpenTelemetry SDK is never imported,
    not even by a log line written during a call (it reads the client's trace id instead)."""
    assert not any(isinstance(m, Tracing) for m in configured(Settings.of(tmp_path)))
    make_manifest(tmp_path, {"failing.py": fixture_files("basic")["failing.py"]})
    script = (
        "import sys; from pathlib import Path; from mcpgen.manifest import load; "
        "from mcpgen.runtime import Settings, create_app; "
        f"root = Path({str(tmp_path)!r}); app = create_app(load(root / '.mcpgen/manifest.json'), Settings.of(root)); "
        "import logging, asyncio; from mcpgen.runtime.telemetry.context import CallContextFilter; "
        "logging.getLogger().handlers[:] = [logging.StreamHandler(sys.stderr)]; "
        "logging.getLogger().handlers[0].addFilter(CallContextFilter()); "
        "from starlette.testclient import TestClient; "
        "c = TestClient(app, base_url='http://127.0.0.1:8080').__enter__(); "
        "r = c.post('/mcp', json={'jsonrpc': '2.0', 'id': 1, 'method': 'tools/call', "
        "'params': {'name': 'crash', 'arguments': {}, '_meta': {'traceparent': '00-' + '1' * 32 + '-' + '2' * 16 + '-01'}}}, "
        "headers={'mcp-protocol-version': '2025-11-25', 'accept': 'application/json'}); "
        "assert 'internal error' in r.text, r.text; "
        "logging.getLogger('mcpgen.runtime').error('outside a call'); "
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry.sdk')))"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=60, check=True)
    assert out.stdout.decode().strip() == "[]", out.stdout.decode()


class Receiver:
    """An OTLP/HTTP trace receiver on 127.0.0.1: decodes POST /v1/traces and keeps the span names."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.got = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers["content-length"]))
                if self.headers.get("content-encoding") == "gzip":
                    data = gzip.decompress(data)
                ok = (
                    self.path == "/v1/traces" and self.headers.get("content-type") == "application/x-protobuf"
                )
                if ok:
                    request = ExportTraceServiceRequest.FromString(data)
                    for resource in request.resource_spans:
                        for scope in resource.scope_spans:
                            receiver.names += [span.name for span in scope.spans]
                    receiver.got.set()
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200 if ok else 404)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    found.thread.start()
    try:
        yield found
    finally:
        found.server.shutdown()
        found.server.server_close()


async def test_spans_reach_a_real_otlp_receiver(tmp_path: Path, receiver: Receiver) -> None:
    """Configured the production way (config -> batching OTLP/HTTP exporter), flushed at shutdown."""
    manifest, s = make_manifest(tmp_path, fixture_files("basic"))
    s = s.with_options(tracing=True, tracing_endpoint=receiver.url, sample_ratio=1.0)
    app = create_app(manifest, s)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            for i in range(3):
                await send(client, "legacy", "add", {"a": i, "b": 1}, id=i + 1)
    # the lifespan's end shut the provider down, which exports what was queued
    assert receiver.got.wait(10)
    assert sorted(receiver.names) == ["execute add"] * 3 + ["tools/call add"] * 3


async def test_a_parent_that_was_not_sampled_is_followed(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    async with traced(tmp_path, exporter, ratio=1.0) as client:
        unsampled = f"00-{TRACE}-{PARENT}-00"
        await send(client, "legacy", "add", {"a": 1, "b": 2}, meta={"traceparent": unsampled})
        assert exporter.get_finished_spans() == ()
        await send(client, "legacy", "add", {"a": 1, "b": 2})
    assert len(exporter.get_finished_spans()) == 2  # ratio 1: every request without a parent


async def test_stdio_calls_are_traced_and_counted(tmp_path: Path) -> None:
    """Without HTTP (the SDK's in-memory transport, as on stdio): same span, transport ``pipe``."""
    manifest, s = make_manifest(tmp_path, fixture_files("basic"))
    exporter = InMemorySpanExporter()
    state = RuntimeState(Registry.load(manifest, s), s)
    instruments = Instruments()
    tracing = Tracing.configured(s.with_options(tracing=True), SimpleSpanProcessor(exporter))
    server = build_server(state, Pipeline(state, [tracing, Metrics(instruments)]))
    async with Client(server, mode="legacy") as client:
        result = await client.call_tool("add", {"a": 2, "b": 5}, meta={"traceparent": TRACEPARENT})
        assert result.structured_content == {"result": 7}
    span = by_name(exporter.get_finished_spans())["tools/call add"]
    assert (span.attributes or {})["network.transport"] == "pipe"
    assert format(span.context.trace_id, "032x") == TRACE
    found = samples(exposition(instruments, None).decode())
    assert value(found, "mcpgen_calls_total", method="tools/call", target="add", outcome="ok") == 1
