"""Benchmark ``tools/call`` on mcpgen and its peers, side by side, in one run.

    bash bench/setup.sh                       # once: bench/.venv (newest FastMCP + mcpgen) and wrk
    python bench/run.py --write-results       # full run (~8 min), rewrites bench/RESULTS.md
    python bench/run.py --duration 2 --concurrency 16 --servers mcpgen,sdk-lowlevel --skip-coldstart

For every server (mcpgen, FastMCP 4, the SDK's MCPServer, the SDK's bare
low-level Server), tool (``add``, ``summarize``), wire (2025-11-25 plain
JSON-RPC, 2026-07-28 ``_meta`` envelope) and concurrency (1/16/64 keep-alive
connections), wrk POSTs the same ``tools/call`` for ``--duration`` seconds
after a ``--warmup`` and reports requests/s and the p50/p99 latency. One
uvicorn worker per server, on 127.0.0.1, stateless. Response mode: JSON
(``json_response=True``) for the full matrix; ``--modes json,sse`` adds the
SSE response mode (at ``--sse-concurrency`` only, to keep the run short).

Every (server, tool, wire) is checked before it is measured: HTTP 200 and the
right result (``add`` → 5, ``summarize`` → exactly the demo algorithm's
summary). During the measurement wrk checks every answer for status 200 and
the byte-exact JSON-RPC response seen in that check; any miss is counted in
the ``errors`` column (a run with errors is not a valid number).
"""

from __future__ import annotations

import argparse
import datetime as dt
import filecmp
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

SERVER_NAMES = ("mcpgen", "fastmcp", "sdk-mcpserver", "sdk-lowlevel")
LABELS = {
    "mcpgen": "mcpgen",
    "fastmcp": h.FASTMCP_LABEL,
    "sdk-mcpserver": "SDK MCPServer",
    "sdk-lowlevel": "SDK low-level",
}
MANIFEST = h.OUT / "bench-manifest.json"


@dataclass
class Row:
    server: str
    mode: str
    tool: str
    wire: str
    concurrency: int
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    requests: int = 0
    errors: int = 0
    note: str = ""


def sync_workspace() -> None:
    """The bench workspace serves copies of the demo's summarize (git-ignored, made here): keep them identical."""
    for name in ("summarize.py", "_text.py"):
        src, dst = h.DEMO_TOOLS / name, h.BENCH_WORKSPACE / "tools" / name
        if not dst.exists() or not filecmp.cmp(src, dst, shallow=False):
            shutil.copyfile(src, dst)
            print(f"refreshed {dst.relative_to(h.REPO)} from the demo")


def mcpgen_cli() -> Path:
    return h.VENV / "bin" / "mcpgen"


def mcpgen_problem() -> str | None:
    """Why mcpgen cannot be benchmarked right now, or ``None``."""
    try:
        out = subprocess.run(
            [str(mcpgen_cli()), "serve", "--help"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError as exc:
        return f"mcpgen CLI not runnable: {exc}"
    if out.returncode != 0:
        return "`mcpgen serve` not available yet: " + (out.stderr.strip().splitlines() or ["?"])[-1]
    return None


def server_command(name: str, mode: str, port: int) -> list[str]:
    py = str(h.venv_python())
    sse = ["--sse"] if mode == "sse" else []
    if name == "fastmcp":
        return [py, str(h.SERVERS / "fastmcp_server.py"), "--port", str(port), *sse]
    if name == "sdk-mcpserver":
        return [py, str(h.SERVERS / "sdk_mcpserver.py"), "--port", str(port), *sse]
    if name == "sdk-lowlevel":
        return [py, str(h.SERVERS / "sdk_lowlevel.py"), "--port", str(port), *sse]
    if name == "mcpgen":
        json_flag = [] if mode == "sse" else ["--json-response"]
        chosen = (GUARDED_SETTINGS if GUARDED else ()) + (OBSERVED_SETTINGS if OBSERVED else ())
        guard = [arg for setting in chosen for arg in ("--set", setting.replace("{otlp}", otlp_sink()))]
        return [
            str(mcpgen_cli()), "serve", str(h.BENCH_WORKSPACE), "--manifest", str(MANIFEST),
            "--port", str(port), *json_flag, *guard,
        ]  # fmt: skip
    raise ValueError(name)


GUARDED = False
"""``--guarded``: serve mcpgen with the production middleware on (see :data:`GUARDED_SETTINGS`)."""
OBSERVED = False
"""``--observed``: serve mcpgen with metrics and tracing on (see :data:`OBSERVED_SETTINGS`)."""
OBSERVED_SETTINGS: tuple[str, ...] = (
    "monitoring.metrics.enabled=true",
    "monitoring.tracing.enabled=true",
    "monitoring.tracing.sample_ratio=0.1",
    "monitoring.tracing.endpoint={otlp}",  # the batching OTLP/HTTP exporter, to otlp_sink()
)
"""Step 3's production observability: Prometheus metrics, and 10% of calls traced and exported."""
GUARDED_SETTINGS: tuple[str, ...] = (
    # API-key auth (the key is made by guard_key() before serving) and RBAC with an inherited role
    "server.auth.api_keys=true",
    "server.auth.roles.tools.allow=tool:*",
    "server.auth.roles.bench.inherits=tools",
    # rate limits (step 2): high enough never to refuse the bench's load, so it measures their cost
    "rate_limits.per_client=100000000/minute",
    "rate_limits.per_tool={add: 100000000/minute}",
    "rate_limits.max_concurrent=100000",
    "monitoring.metrics.enabled=true",  # the default; said here because issue 12 measures key check + metrics
)
"""Config overrides that switch on the guard (step 2: API-key auth, RBAC, rate limits) next to the default
metrics. ``--observed`` adds tracing (step 3); both flags together switch everything on."""
GUARD_KEY_NAME = "bench"


def guard_key() -> str:
    """A fresh API key with role ``bench`` in the bench workspace (``mcpgen keys``), for guarded runs."""
    cli, workspace = str(mcpgen_cli()), str(h.BENCH_WORKSPACE)
    subprocess.run(
        [cli, "-q", "keys", "revoke", GUARD_KEY_NAME, "-w", workspace], capture_output=True, check=False
    )
    out = subprocess.run(
        [cli, "keys", "create", GUARD_KEY_NAME, "--role", "bench", "-w", workspace, "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return str(json.loads(out.stdout)["key"])


_SINK: list[Any] = []


def otlp_sink() -> str:
    """A local OTLP/HTTP endpoint that accepts every export (started on first use, in this process)."""
    if not _SINK:
        import http.server
        import threading

        class Sink(http.server.BaseHTTPRequestHandler):
            exports = 0

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                Sink.exports += 1
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        _SINK.append((server, Sink))
    return f"http://127.0.0.1:{_SINK[0][0].server_address[1]}"


PATHS_LINE = re.compile(r"answered (\d+) requests on the fast path, (\d+) on the SDK path")


def served_paths(log: Path) -> tuple[int, int] | None:
    """How many requests mcpgen answered on its fast path and on the SDK path (from its shutdown log)."""
    try:
        found = PATHS_LINE.findall(log.read_text(errors="replace"))
    except OSError:
        return None
    return (int(found[-1][0]), int(found[-1][1])) if found else None


def write_manifest() -> None:
    MANIFEST.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(mcpgen_cli()), "manifest", str(h.BENCH_WORKSPACE), "-o", str(MANIFEST)],
        check=True,
        capture_output=True,
        timeout=120,
    )


def verify(server: h.Server, tool: str, wire: str) -> str:
    """Check a correct answer twice; return the marker wrk must find in every answer."""
    headers, body = h.tools_call(tool, h.CALLS[tool], wire)
    replies = [h.post(server.port, headers, body) for _ in range(2)]
    for reply in replies:
        problem = h.check_call(reply, tool)
        if problem is not None:
            raise RuntimeError(f"{server.name} {tool} {wire}: {problem}")
    if replies[0].raw_message == replies[1].raw_message:
        return replies[0].raw_message  # byte-identical: check the whole response
    return json.dumps(h.expected_text(tool))[1:-1]  # something varies: check the result text


def bench_mode(mode: str, args: argparse.Namespace, load: h.LoadFn) -> list[Row]:
    """Measure every server in one response mode.

    All servers run at once (idle ones cost no CPU) and the points are
    interleaved: each (tool, wire, concurrency) is measured on every server
    back to back, in a rotating order, ``--repeats`` times; the best repeat
    counts. On a small shared machine this spreads any background load over
    all servers instead of penalizing whichever ran at the wrong moment.
    """
    concurrencies = args.concurrency if mode == "json" else args.sse_concurrency
    points = [(t, w, c) for t in args.tools for w in args.wires for c in concurrencies]
    rows = {(s, *pt): Row(s, mode, *pt) for s in args.servers for pt in points}
    servers: dict[str, h.Server] = {}
    markers: dict[tuple[str, str, str], str] = {}
    try:
        for name in args.servers:
            problem = mcpgen_problem() if name == "mcpgen" else None
            if problem is None and name == "mcpgen" and mode == "json":
                write_manifest()
            if problem is not None:
                print(f"  {LABELS[name]} skipped: {problem}")
                for (server, *_), row in rows.items():
                    if server == name:
                        row.note = problem
                continue
            port = h.free_port()
            log = h.OUT / f"server-{name}-{mode}.log"
            cmd = server_command(name, mode, port)
            servers[name] = server = h.Server(name, cmd, port, log, cpus=h.cpu_split()[0])
            server.start()
        for name, server in list(servers.items()):
            try:
                h.wait_for_call(server, "add", h.LEGACY, timeout=60)
                for tool in args.tools:
                    for wire in args.wires:
                        markers[(name, tool, wire)] = verify(server, tool, wire)
            except Exception as exc:
                print(f"  {LABELS[name]} FAILED its checks: {exc}")
                for (srv, *_), row in rows.items():
                    if srv == name:
                        row.note = f"failed its checks: {exc}".splitlines()[0][:200]
                server.stop()
                del servers[name]
        for i, (tool, wire, conc) in enumerate(points):
            order = list(servers)
            for repeat in range(args.repeats):
                shift = (i + repeat) % len(order) if order else 0
                for name in order[shift:] + order[:shift]:
                    server = servers[name]
                    headers, body = h.tools_call(tool, h.CALLS[tool], wire)
                    marker = markers[(name, tool, wire)]
                    if args.warmup > 0 and repeat == 0:
                        load(server.port, headers, body, marker, conc, args.warmup)
                    result = load(server.port, headers, body, marker, conc, args.duration)
                    row = rows[(name, tool, wire, conc)]
                    row.errors += result.errors
                    if row.rps is None or result.rps > row.rps:
                        row.rps, row.p50_ms, row.p99_ms = result.rps, result.p50_ms, result.p99_ms
                        row.requests = result.requests
            for name in order:
                row = rows[(name, tool, wire, conc)]
                print(
                    f"  {tool:9} {wire} c={conc:<3} {LABELS[name]:14} {row.rps:8.0f} req/s  "
                    f"p50 {row.p50_ms:7.2f} ms  p99 {row.p99_ms:7.2f} ms  errors {row.errors}",
                    flush=True,
                )
        for name, tool, wire in markers:  # still correct after all that load
            if name not in servers:
                continue
            try:
                verify(servers[name], tool, wire)
            except Exception as exc:
                print(f"  {LABELS[name]} FAILED its checks after the load: {exc}")
                for row in rows.values():
                    if (row.server, row.tool, row.wire) == (name, tool, wire):
                        row.errors += 1
                        row.note = f"wrong answer after the load: {exc}".splitlines()[0][:200]
    finally:
        for server in servers.values():
            server.stop()
        mcpgen = servers.get("mcpgen")
        paths = served_paths(mcpgen.log) if mcpgen is not None else None
        if paths is not None:
            PATHS[mode] = paths
            print(f"  mcpgen answered {paths[0]} requests on its fast path, {paths[1]} on the SDK path")
    return list(rows.values())


PATHS: dict[str, tuple[int, int]] = {}
"""Per response mode: (fast path, SDK path) request counts of the mcpgen server."""


# ---------------------------------------------------------------------------- report


def _cell(row: Row | None) -> str:
    if row is None:
        return "–"
    if row.rps is None:
        return "n/a"
    cell = f"{row.rps:,.0f} · {row.p50_ms:.1f}/{row.p99_ms:.1f}"
    return cell + (f" ⚠ {row.errors} err" if row.errors else "")


def throughput_tables(rows: list[Row], servers: list[str]) -> str:
    index = {(r.server, r.mode, r.tool, r.wire, r.concurrency): r for r in rows}
    out: list[str] = []
    for mode in dict.fromkeys(r.mode for r in rows):
        for tool in dict.fromkeys(r.tool for r in rows):
            keys = sorted({(r.wire, r.concurrency) for r in rows if r.mode == mode and r.tool == tool})
            if not keys:
                continue
            out.append(f"#### `{tool}`, {mode.upper()} responses\n")
            ratio = "mcpgen" in servers and "sdk-lowlevel" in servers
            head = ["wire", "conc.", *(LABELS[s] for s in servers)] + (
                ["mcpgen / low-level"] if ratio else []
            )
            out.append("| " + " | ".join(head) + " |")
            out.append("|" + "|".join(["---"] * len(head)) + "|")
            for wire, conc in keys:
                cells = [wire, str(conc)]
                cells += [_cell(index.get((s, mode, tool, wire, conc))) for s in servers]
                if ratio:
                    ours, floor = (
                        index.get(("mcpgen", mode, tool, wire, conc)),
                        index.get(("sdk-lowlevel", mode, tool, wire, conc)),
                    )
                    ok = ours and floor and ours.rps and floor.rps
                    cells.append(f"{ours.rps / floor.rps:.0%}" if ok else "–")  # type: ignore[union-attr]
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
    if PATHS:
        shown = "; ".join(
            f"{mode.upper()} mode: {f:,} fast path, {s:,} SDK path" for mode, (f, s) in PATHS.items()
        )
        out.append(f"Requests mcpgen answered per path (its own counters, logged at shutdown): {shown}.\n")
    notes = sorted({f"{LABELS[r.server]}: {r.note}" for r in rows if r.note})
    if notes:
        out.append("Not measured: " + "; ".join(notes) + "\n")
    return "\n".join(out)


def render(meta: dict[str, Any], rows: list[Row], servers: list[str], extra: list[str]) -> str:
    m = meta["machine"]
    parts = [
        "# Benchmark results\n",
        f"Date: {meta['date']}  ",
        f"Machine: {m['cpu']}, {m['memory']}; {m['os']}; Python {m['python']}  ",
        f"Versions (bench/.venv): {', '.join(f'{k} {v}' for k, v in meta['versions'].items())}  ",
        f"Load generator: {meta['client']}, 1 thread, closed loop, on the same machine as the server; "
        f"{meta['pinning']}  ",
        f"Load average: {meta['load']}  ",
        f"Command: `{meta['command']}`\n",
        "## `tools/call` throughput and latency\n",
        "Each cell: **requests/s · p50/p99 latency in ms**, the best of "
        f"{meta['repeats']} measurements of {meta['duration']} s each (after a {meta['warmup']} s "
        "warm-up); one uvicorn worker (uvloop + "
        "httptools), stateless Streamable HTTP, 127.0.0.1. `add(2, 3)` measures framework "
        f"overhead; `summarize` runs the demo's extractive summarizer on a {len(h.ARTICLE)}-character "
        "text (bullet "
        "style, 200 chars) in every server. Every answer was checked (status 200 and the exact "
        "expected JSON-RPC response); ⚠ marks cells with failed answers.\n",
        throughput_tables(rows, servers),
        *extra,
    ]
    return "\n".join(parts)


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _pinning() -> str:
    server, client = h.cpu_split()
    if server is None:
        return "no CPU pinning"
    return f"server pinned to CPU {server}, load generator to CPU {client}"


def versions() -> dict[str, str]:
    code = (
        "from importlib.metadata import version as v\n"
        "import json\n"
        "names = ['mcpgen', 'mcp', 'fastmcp', 'starlette', 'uvicorn', 'pydantic']\n"
        "print(json.dumps({n: v(n) for n in names}))"
    )
    out = subprocess.run([str(h.venv_python()), "-c", code], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--servers", default=",".join(SERVER_NAMES))
    p.add_argument("--tools", default="add,summarize")
    p.add_argument("--wires", default=",".join(h.WIRES))
    p.add_argument("--concurrency", default="1,16,64")
    p.add_argument("--modes", default="json,sse", help="json and/or sse response mode")
    p.add_argument("--sse-concurrency", default="16", help="concurrency levels for the SSE mode")
    p.add_argument("--duration", type=float, default=3.0, help="seconds per measurement")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds of load before each point")
    p.add_argument("--repeats", type=int, default=2, help="measure each point N times, keep the best")
    p.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    p.add_argument("--no-pin", action="store_true", help="do not pin server and wrk to separate CPUs")
    p.add_argument("--skip-coldstart", action="store_true")
    p.add_argument("--skip-discovery", action="store_true")
    p.add_argument("--write-results", action="store_true", help="also (re)write bench/RESULTS.md")
    p.add_argument(
        "--observed",
        action="store_true",
        help="serve mcpgen with metrics and tracing on (sampling 0.1, batching OTLP export to a local sink)",
    )
    p.add_argument(
        "--guarded",
        action="store_true",
        help="serve mcpgen with API-key auth, RBAC and rate limits on, next to the default metrics (step 2); "
        "with --observed too, everything is on",
    )
    args = p.parse_args(argv)
    if args.guarded:
        if not GUARDED_SETTINGS:
            p.error("--guarded: no guard or metrics middleware exists yet (wave 2 steps 2-3 add them)")
        global GUARDED
        GUARDED = True
        h.AUTH_HEADERS["Authorization"] = f"Bearer {guard_key()}"
    if args.observed:
        global OBSERVED
        OBSERVED = True
    if args.guarded or args.observed:
        LABELS["mcpgen"] = (
            "mcpgen (guard + metrics + tracing 0.1)"
            if args.guarded and args.observed
            else "mcpgen (guard + metrics)"
            if args.guarded
            else "mcpgen (metrics + tracing 0.1)"
        )
    args.servers = [s for s in args.servers.split(",") if s]
    unknown = set(args.servers) - set(SERVER_NAMES)
    if unknown:
        p.error(f"unknown servers {sorted(unknown)}; choose from {', '.join(SERVER_NAMES)}")
    args.tools = args.tools.split(",")
    args.wires = args.wires.split(",")
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    args.sse_concurrency = [int(c) for c in args.sse_concurrency.split(",")]
    modes = [m for m in args.modes.split(",") if m]

    use_wrk = args.client == "wrk" or (args.client == "auto" and h.have_wrk())
    if args.client == "wrk" and not h.have_wrk():
        p.error("wrk is not installed (bash bench/setup.sh installs it)")
    load: h.LoadFn = h.run_wrk if use_wrk else h.run_python_load
    client = "wrk 4.1.0 (Lua script)" if use_wrk else "Python asyncio raw-socket client (bench/_harness.py)"

    if args.no_pin:
        h.PINNING = False
    h.venv_python()
    sync_workspace()
    started = time.monotonic()
    load_before = _loadavg()
    rows: list[Row] = []
    for mode in modes:
        print(f"== {mode.upper()} responses", flush=True)
        rows += bench_mode(mode, args, load)

    extra: list[str] = []
    if not args.skip_coldstart:
        import coldstart

        print("== cold start", flush=True)
        extra.append(coldstart.report(coldstart.run()))
    if not args.skip_discovery:
        import discovery

        print("== discovery", flush=True)
        extra.append(discovery.report(discovery.run()))

    meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": h.machine(),
        "versions": versions(),
        "client": client,
        "duration": args.duration,
        "warmup": args.warmup,
        "repeats": args.repeats,
        "pinning": _pinning(),
        "load": f"{load_before} at the start, {_loadavg()} at the end (1/5/15 min)",
        "command": "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    (h.OUT / "results.json").write_text(
        json.dumps({"meta": meta, "rows": [asdict(r) for r in rows]}, indent=1)
    )
    if _SINK:
        extra.append(f"OTLP sink: {_SINK[0][1].exports} trace exports received from mcpgen.")
    text = render(meta, rows, args.servers, extra)
    (h.OUT / "results.md").write_text(text)
    if args.write_results:
        (h.BENCH / "RESULTS.md").write_text(text)
    print(text)
    print(f"total time: {time.monotonic() - started:.0f} s")
    return 1 if any(r.errors for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
