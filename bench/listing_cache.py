"""What serving ``tools/list`` from the fast path's listing cache saves, in process (no sockets).

    python bench/listing_cache.py [--requests 20000] [--repeats 5] [--workspace examples/demo]

Serves the workspace with its default config (metrics on, so the chain has the ``Metrics``
middleware) and sends ``tools/list`` straight to the ASGI app on both wires, three ways:
``before`` (listings built and serialized per request: the chain is not empty, so no cache --
what happened until middleware could declare ``changes_listings = False``), ``after`` (the
cached bytes, with the chain still run around them so the listing is counted), and
``no middleware`` (metrics off: the cache without any chain, the floor). Prints the best
microseconds per request of each.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

from mcpgen.runtime import Settings, create_app
from mcpgen.runtime.pipeline import Pipeline
from mcpgen.workflows.generate import generate

REPO = Path(__file__).resolve().parents[1]
WIRES = {
    "2025-11-25": (b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}', []),
    "2026-07-28": (
        b'{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{'
        b'"io.modelcontextprotocol/protocolVersion":"2026-07-28",'
        b'"io.modelcontextprotocol/clientCapabilities":{},'
        b'"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"}}}}',
        [(b"mcp-method", b"tools/list")],
    ),
}


async def per_request(app: Any, wire: str, requests: int) -> float:
    """Microseconds per ``tools/list`` answered by ``app`` (after a warm-up)."""
    content, extra = WIRES[wire]
    headers = [
        (b"host", b"127.0.0.1:8080"),
        (b"accept", b"application/json, text/event-stream"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(content)).encode()),
        (b"mcp-protocol-version", wire.encode()),
        *extra,
    ]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/mcp", "raw_path": b"/mcp", "query_string": b"", "root_path": "",
        "headers": headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080),
    }  # fmt: skip
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": content, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    for _ in range(200):
        await app(scope, receive, send)
    if set(status) != {200}:
        raise SystemExit(f"tools/list on {wire} answered {sorted(set(status))}")
    start = time.perf_counter()
    for _ in range(requests):
        await app(scope, receive, send)
    return (time.perf_counter() - start) / requests * 1e6


async def measure(workspace: Path, requests: int, repeats: int) -> None:
    generated = generate(workspace)
    if generated.manifest is None:
        raise SystemExit(str(generated.report))
    cacheable = Pipeline.lists_cacheable
    before = property(lambda self: not self.middleware)
    rows: list[tuple[str, bool, Any]] = [("before", True, before), ("after", True, cacheable)]
    rows.append(("no middleware", False, cacheable))
    for label, metrics, rule in rows:
        Pipeline.lists_cacheable = rule  # type: ignore[method-assign]
        try:
            app = create_app(generated.manifest, Settings.of(workspace, metrics=metrics))
            async with app.router.lifespan_context(app):
                for wire in WIRES:
                    best = min([await per_request(app, wire, requests) for _ in range(repeats)])
                    print(f"{label:14} {wire}  {best:7.1f} µs per tools/list")
        finally:
            Pipeline.lists_cacheable = cacheable  # type: ignore[method-assign]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--workspace", type=Path, default=REPO / "examples" / "demo")
    args = p.parse_args()
    asyncio.run(measure(args.workspace, args.requests, args.repeats))


if __name__ == "__main__":
    main()
