"""Observability of TS/JS tools: trace context handed to the Node worker, worker pool metrics."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from mcpgen.runtime import Settings, create_app
from mcpgen.runtime.middleware.metrics import Metrics
from mcpgen.runtime.middleware.tracing import Tracing
from mcpgen.workflows.generate import generate

from .test_metrics import samples, value
from .test_tracing import PARENT, TRACE, TRACEPARENT, send

pytestmark = pytest.mark.anyio
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "workspaces" / "node_faults"
TRACE_TOOL = """\
export const metadata = {
  name: "trace_context",
  description: "The W3C trace context the server handed to this call.",
  inputSchema: { type: "object", properties: {} },
};

export default async function handler(input: object, ctx: any) {
  return { traceparent: ctx.traceparent, tracestate: ctx.tracestate };
}
"""


def handed(answer: dict[str, Any]) -> Any:
    """The ``traceparent`` the tool saw (its result is a dict without an output schema: text JSON)."""
    return json.loads(answer["result"]["content"][0]["text"])["traceparent"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("node-observe") / "ws"
    shutil.copytree(FIXTURE, root)
    (root / "tools" / "trace.ts").write_text(TRACE_TOOL)
    return root


@asynccontextmanager
async def serving(workspace: Path, tracing: Tracing | None = None) -> AsyncIterator[httpx2.AsyncClient]:
    gen = generate(workspace)
    assert gen.manifest is not None, str(gen.report)
    settings = Settings.of(workspace, node_workers=1, default_timeout=10, json_response=True)
    middleware = [tracing, Metrics.configured(settings)] if tracing is not None else None
    app = create_app(gen.manifest, settings, middleware=middleware)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            yield client


async def test_node_call_is_a_child_span_and_gets_its_traceparent(workspace: Path) -> None:
    exporter = InMemorySpanExporter()
    tracing = Tracing.configured(Settings.of(workspace, tracing=True), SimpleSpanProcessor(exporter))
    async with serving(workspace, tracing) as client:
        answer = await send(client, "legacy", "trace_context", {}, meta={"traceparent": TRACEPARENT})
    spans = {span.name: span for span in exporter.get_finished_spans()}
    server, execute, node = (
        spans["tools/call trace_context"],
        spans["execute trace_context"],
        spans["node trace_context"],
    )
    assert server.parent is not None
    assert format(server.parent.span_id, "016x") == PARENT
    assert execute.parent is not None
    assert execute.parent.span_id == server.context.span_id
    assert node.parent is not None
    assert node.parent.span_id == execute.context.span_id
    assert handed(answer) == f"00-{TRACE}-{format(node.context.span_id, '016x')}-01"


async def test_without_tracing_the_clients_traceparent_is_handed_on(workspace: Path) -> None:
    async with serving(workspace) as client:
        answer = await send(client, "legacy", "trace_context", {}, headers={"traceparent": TRACEPARENT})
        plain = await send(client, "legacy", "trace_context", {})
    assert handed(answer) == TRACEPARENT
    assert handed(plain) is None


async def test_worker_pool_metrics(workspace: Path) -> None:
    async with serving(workspace) as client:
        await send(client, "legacy", "echo", {"text": "warm up"})
        found = samples((await client.get("/metrics")).text)
        assert value(found, "mcpgen_node_workers") == 1
        assert value(found, "mcpgen_node_workers_busy") == 0
        assert value(found, "mcpgen_node_worker_crashes_total") == 0
        crashed = await send(client, "legacy", "crashes", {})
        assert crashed["result"]["isError"] is True
        await send(client, "legacy", "echo", {"text": "again"})  # restarts the worker
        found = samples((await client.get("/metrics")).text)
    assert value(found, "mcpgen_node_worker_crashes_total") == 1
    assert value(found, "mcpgen_node_worker_restarts_total") == 1
    assert value(found, "mcpgen_calls_total", method="tools/call", target="crashes", outcome="error") == 1
