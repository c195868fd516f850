"""What the Context calls in the demo's ``summarize`` cost mcpgen per request.

    python bench/context_cost.py [--duration 3] [--repeats 3] [--concurrency 16]

The demo's ``summarize`` calls ``ctx.info`` twice and ``ctx.report_progress``
three times per call; the peer servers' summarize has no Context. This serves
the bench workspace twice with mcpgen (JSON responses): as is, and with a
copy of ``summarize.py`` whose ``ctx`` parameter is removed (so mcpgen
injects nothing and the ``if ctx is not None`` branches are skipped), next to
the SDK low-level server, and prints the best requests/s per wire. The
requests carry no progress token and no log-level opt-in, so every one of
those notifications is dropped: ideally both mcpgen rows are equal.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

NO_CTX = h.OUT / "context-cost-ws"


def make_no_ctx_workspace() -> Path:
    if NO_CTX.exists():
        shutil.rmtree(NO_CTX)
    tools = NO_CTX / "tools"
    tools.mkdir(parents=True)
    shutil.copyfile(h.BENCH_WORKSPACE / "mcpgen.yaml", NO_CTX / "mcpgen.yaml")
    for name in ("_text.py", "add.py"):
        shutil.copyfile(h.tool_source(name), tools / name)
    source = (h.DEMO_TOOLS / "summarize.py").read_text()
    patched = source.replace("    ctx: Context | None = None,\n", "").replace(
        "from mcpgen import Context, ToolError, tool", "from mcpgen import ToolError, tool\n\nctx = None"
    )
    if patched.count("ctx = None") != 1 or "ctx: Context" in patched:
        raise SystemExit("summarize.py changed shape: update context_cost.py")
    (tools / "summarize.py").write_text(patched)
    return NO_CTX


def mcpgen_command(workspace: Path, port: int) -> list[str]:
    manifest = h.OUT / f"context-cost-{workspace.name}.json"
    mcpgen = str(h.VENV / "bin" / "mcpgen")
    subprocess.run([mcpgen, "manifest", str(workspace), "-o", str(manifest)], check=True, capture_output=True)
    return [
        str(h.venv_python()), "-m", "mcpgen.runtime", "--manifest", str(manifest), "--root", str(workspace),
        "--port", str(port), "--json-response", "--log-level", "warning",
    ]  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=3.0)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--concurrency", type=int, default=16)
    args = p.parse_args()
    server_cpus = h.cpu_split()[0]
    servers: dict[str, h.Server] = {}
    for name, workspace in (
        ("mcpgen (ctx)", h.BENCH_WORKSPACE),
        ("mcpgen (no ctx)", make_no_ctx_workspace()),
    ):
        port = h.free_port()
        log = h.OUT / f"server-context-cost-{len(servers)}.log"
        servers[name] = h.Server(name, mcpgen_command(workspace, port), port, log, cpus=server_cpus)
    port = h.free_port()
    lowlevel = [str(h.venv_python()), str(h.SERVERS / "sdk_lowlevel.py"), "--port", str(port)]
    log = h.OUT / "server-context-cost-lowlevel.log"
    servers["SDK low-level"] = h.Server("SDK low-level", lowlevel, port, log, cpus=server_cpus)
    try:
        for server in servers.values():
            server.start()
        for server in servers.values():
            h.wait_for_call(server, "summarize", h.LEGACY, timeout=60)
        marker = json.dumps(h.expected_text("summarize"))[1:-1]
        for wire in h.WIRES:
            headers, body = h.tools_call("summarize", h.CALLS["summarize"], wire)
            best: dict[str, h.LoadResult] = {}
            for _ in range(args.repeats):
                for name, server in servers.items():
                    result = h.run_wrk(server.port, headers, body, marker, args.concurrency, args.duration)
                    if result.errors:
                        raise SystemExit(f"{name}: {result.errors} wrong answers on {wire}")
                    if name not in best or result.rps > best[name].rps:
                        best[name] = result
            cells = ", ".join(
                f"{name} {r.rps:,.0f} req/s (p50 {r.p50_ms:.1f} ms)" for name, r in best.items()
            )
            print(f"summarize {wire} c={args.concurrency}: {cells}", flush=True)
    finally:
        for server in servers.values():
            server.stop()


if __name__ == "__main__":
    main()
