"""Throughput of a trivial Node (JS) tool vs the same async Python tool, through one mcpgen server.

    .venv/bin/python bench/node_vs_python.py [--duration 10] [--concurrency 16] [--rounds 3]

Serves ``bench/workspaces/polyglot`` (``add_py`` in-process, ``add_js`` in the Node
worker pool, ``server.node_workers`` default 2) with ``python -m mcpgen serve``
on 127.0.0.1, JSON responses, stateless; wrk POSTs the same ``tools/call`` on the
2025-11-25 wire and checks every answer is byte-identical to the first correct
one. Server and wrk are pinned to separate CPUs when there are two or more
(see ``_harness.cpu_split``); the Node workers inherit the server's pinning.
Rounds alternate the tools; the median is reported. Target: Node >= 50% of Python.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

WORKSPACE = h.BENCH / "workspaces" / "polyglot"
ARGS = {"a": 2, "b": 3}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--warmup", type=float, default=2)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--node-workers", type=int, default=2)
    args = p.parse_args()
    port = h.free_port()
    server = h.Server(
        "mcpgen-polyglot",
        [
            sys.executable,
            "-m",
            "mcpgen",
            "-q",
            "serve",
            str(WORKSPACE),
            "--port",
            str(port),
            "--json-response",
            "--set",
            f"server.node_workers={args.node_workers}",
        ],
        port,
        h.OUT / "node_vs_python.log",
        cpus=h.cpu_split()[0],
    )
    server.start()
    results: dict[str, list[tuple[float, float, float, int]]] = {"add_py": [], "add_js": []}
    try:
        markers = {}
        for tool in results:
            headers, body = h.tools_call(tool, ARGS, h.LEGACY)
            for _ in range(600):
                try:
                    reply = h.post(port, headers, body)
                except OSError:
                    reply = None
                if reply is not None and reply.message and "result" in reply.message:
                    break
                time.sleep(0.1)
            if reply is None or reply.message is None:
                raise SystemExit(f"{tool} never answered:\n{server.tail()}")
            assert reply.message["result"]["content"][0]["text"] == "5", reply.raw_message
            markers[tool] = reply.raw_message
        for _ in range(args.rounds):
            for tool in results:
                headers, body = h.tools_call(tool, ARGS, h.LEGACY)
                h.run_wrk(port, headers, body, markers[tool], args.concurrency, args.warmup)
                r = h.run_wrk(port, headers, body, markers[tool], args.concurrency, args.duration)
                results[tool].append((r.rps, r.p50_ms, r.p99_ms, r.errors))
    finally:
        server.stop()
    print(
        f"concurrency {args.concurrency}, {args.duration:g}s x {args.rounds} rounds, node_workers={args.node_workers}"
    )
    print("| tool | req/s (median) | p50 ms | p99 ms | errors | rounds req/s |")
    print("|---|---:|---:|---:|---:|---|")
    med = {}
    for tool, rows in results.items():
        med[tool] = statistics.median(r[0] for r in rows)
        p50 = statistics.median(r[1] for r in rows)
        p99 = statistics.median(r[2] for r in rows)
        errors = sum(r[3] for r in rows)
        print(
            f"| {tool} | {med[tool]:.0f} | {p50:.1f} | {p99:.1f} | {errors} | {', '.join(f'{r[0]:.0f}' for r in rows)} |"
        )
    print(f"Node / Python = {med['add_js'] / med['add_py']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
