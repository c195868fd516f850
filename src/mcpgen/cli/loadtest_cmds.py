"""``mcpgen loadtest``: load one tool of a workspace (served for the run) or of a running server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from mcpgen.cli import render
from mcpgen.cli._common import JsonFlag, state
from mcpgen.workflows.loadtest import (
    DEFAULT_READY_TIMEOUT,
    DEFAULT_TIMEOUT,
    MAX_CONCURRENCY,
    MAX_DURATION,
    MAX_REQUESTS,
    MODERN,
    WIRES,
    LoadOptions,
    LoadReport,
    Snapshot,
    loadtest,
    parse_arguments,
    parse_headers,
)


class _Live:
    """One line on stderr, redrawn a few times a second: elapsed, requests, req/s, errors."""

    def __init__(self) -> None:
        self.live = Live(Text(""), console=render.err, refresh_per_second=8, transient=True)

    def __enter__(self) -> _Live:
        self.live.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.live.stop()

    def __call__(self, snap: Snapshot) -> None:
        errors = f"[red]{snap.errors} errors[/red]" if snap.errors else "[green]0 errors[/green]"
        self.live.update(
            Text.from_markup(
                f"[bold]{snap.elapsed:5.1f}[/bold]/{snap.duration:g} s  {snap.requests} requests  "
                f"[cyan]{snap.rps:,.0f} req/s[/cyan]  {errors}"
            )
        )


def _render(report: LoadReport, max_error_rate: float) -> None:
    o = report.options
    lat = report.latency_ms()
    table = Table(box=box.SIMPLE_HEAD, show_header=False, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    where = f"{report.target}" + (f" (serving {report.workspace})" if report.workspace else "")
    table.add_row("target", where)
    table.add_row("tool", o.tool)
    table.add_row("wire", o.wire + (" (session)" if report.session else ""))
    table.add_row("concurrency", str(o.concurrency))
    table.add_row("elapsed", f"{report.elapsed:.2f} s (stopped by {report.stopped_by})")
    table.add_row("requests", Text.from_markup(f"{report.requests}  [cyan]{report.rps:,.1f} req/s[/cyan]"))
    if lat:
        table.add_row("latency", "  ".join(f"{k} {lat[k]:.2f} ms" for k in ("p50", "p90", "p99", "max")))
    table.add_row("errors", f"{report.errors} ({report.error_rate:.2%})")
    for kind, count in sorted(report.stats.errors.items()):
        sample = report.stats.samples.get(kind, "").replace("\n", " ")[:100]
        table.add_row(f"  {kind}", Text.from_markup(f"{count}  [dim]{escape(sample)}[/dim]"))
    render.out.print(table)
    if report.passed(max_error_rate):
        render.out.print("[green]✓ passed[/green]", markup=True)
    elif report.requests == 0:
        render.out.print("[red]✗ failed: no request completed[/red]", markup=True)
    else:
        limit = f"the limit is {max_error_rate:.2%}" if max_error_rate else "any error fails the run"
        render.out.print(f"[red]✗ failed: {report.errors} error(s); {limit}[/red]", markup=True)


def loadtest_cmd(
    target: Annotated[
        str, typer.Argument(help="Workspace folder (served on 127.0.0.1 for the run) or the server's URL.")
    ] = ".",
    tool: Annotated[str, typer.Option("--tool", "-t", help="The tool to call.")] = "",
    args: Annotated[
        str, typer.Option("--args", "-a", help="The tool's arguments: a JSON object, or @FILE.")
    ] = "{}",
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", help=f"Concurrent clients (at most {MAX_CONCURRENCY}).")
    ] = 4,
    duration: Annotated[
        float, typer.Option("--duration", "-d", help=f"Seconds of load (at most {MAX_DURATION:g}).")
    ] = 10.0,
    requests: Annotated[
        int | None,
        typer.Option("--requests", "-n", help=f"Stop after this many requests (at most {MAX_REQUESTS})."),
    ] = None,
    wire: Annotated[str, typer.Option("--wire", help=f"Protocol version: {' or '.join(WIRES)}.")] = MODERN,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds before one request counts as a timeout.")
    ] = DEFAULT_TIMEOUT,
    max_error_rate: Annotated[
        float,
        typer.Option(
            "--max-error-rate",
            min=0.0,
            max=1.0,
            help="Pass with up to this fraction of failed answers (default 0: any error fails).",
        ),
    ] = 0.0,
    header: Annotated[
        list[str] | None,
        typer.Option("--header", "-H", help="Send this header with every request: 'Name: value'."),
    ] = None,
    allow_remote: Annotated[
        bool,
        typer.Option("--allow-remote", help="Allow a URL whose host is not loopback (a server you run)."),
    ] = False,
    env: Annotated[str | None, typer.Option("--env", help="Config overlay of the served workspace.")] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Config override for the served workspace.")
    ] = None,
    ready_timeout: Annotated[
        float, typer.Option("--ready-timeout", min=1, help="Seconds the served workspace may take to start.")
    ] = DEFAULT_READY_TIMEOUT,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            help="Write a self-contained HTML report with a latency histogram "
            "and throughput over time (needs the loadtest extra).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Load one tool with N concurrent clients for S seconds, check every answer, report.

    Reports requests/s, latency percentiles and errors by kind (HTTP status, JSON-RPC code,
    tool error, timeout, connection). Exits 1 when the error rate is above --max-error-rate.
    """
    options = LoadOptions(
        tool=tool,
        arguments=parse_arguments(args),
        concurrency=concurrency,
        duration=duration,
        requests=requests,
        wire=wire,
        timeout=timeout,
        headers=parse_headers(header or ()),
        allow_remote=allow_remote,
        env=env,
        overrides=tuple(set_ or ()),
        ready_timeout=ready_timeout,
    )
    if html is not None:
        from mcpgen.workflows.loadtest_report import require_plotly

        require_plotly()  # fail before the load, not after it
    live = not as_json and not state.quiet and render.err.is_terminal
    if live:
        with _Live() as progress:
            report = loadtest(target, options, progress)
    else:
        report = loadtest(target, options)
    if html is not None:
        from mcpgen.workflows.loadtest_report import write_html

        write_html(report, html, max_error_rate)
    if as_json:
        render.print_json(report.to_data(max_error_rate))
    elif not state.quiet:
        _render(report, max_error_rate)
        if html is not None:
            render.err.print(f"HTML report: {html}", highlight=False)
    if not report.passed(max_error_rate):
        raise typer.Exit(1)
