"""``mcpgen conformance``: run the official MCP conformance suite against a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.status import Status
from rich.table import Table
from rich.text import Text

from mcpgen.cli import render
from mcpgen.cli._common import JsonFlag, Workspace, state
from mcpgen.workflows.conformance import (
    DEFAULT_READY_TIMEOUT,
    DEFAULT_SCENARIO_TIMEOUT,
    ConformanceOptions,
    PhaseKind,
    plan_conformance,
    run_conformance,
)
from mcpgen.workflows.conformance_results import ConformanceReport, RequirementRun

_STATUS_STYLE = {
    "passed": "[green]✓ pass[/green]",
    "failed": "[red]✗ fail[/red]",
    "missing": "[red]✗ missing[/red]",
}


class _Progress:
    """Phases as lines on stderr; npm lines and scenario names on one spinner line."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.status: Status | None = None

    def __call__(self, kind: PhaseKind, message: str) -> None:
        if self.quiet:
            return
        if kind == "phase":
            render.err.print(f"[dim]›[/dim] {escape(message)}", markup=True, highlight=False)
            if self.status is None:
                self.status = render.err.status("", spinner="dots")
                self.status.start()
            self.status.update(escape(message))
        elif self.status is not None:
            self.status.update(f"[dim]{escape(message[:100])}[/dim]")

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


def _run_table(run: RequirementRun) -> Table:
    table = Table(
        title=f"requirements {run.requirement}",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("Scenario", style="cyan", overflow="fold")  # the one that gives way when narrow
    table.add_column("Result", no_wrap=True)
    table.add_column("Checks", justify="right", no_wrap=True, min_width=6)
    table.add_column("Scored", no_wrap=True)
    for s in run.scenarios:
        checks = f"{s.passed}/{s.passed + s.failed}" + (f" ({s.warnings}⚠)" if s.warnings else "")
        scored = "yes" if s.scored else f"[dim]no: {escape(str(s.reason))}[/dim]"
        result = _STATUS_STYLE[s.status] if s.scored else f"[dim]{_STATUS_STYLE[s.status]}[/dim]"
        table.add_row(s.name, Text.from_markup(result), checks, Text.from_markup(scored))
    return table


def _render_failures(run: RequirementRun, verbose: bool) -> None:
    """Why scored scenarios failed: the first failing check (every one, and unscored too, with -v)."""
    for s in run.scenarios:
        if s.status == "passed" or not (s.scored or verbose):
            continue
        if s.status == "missing":
            render.out.print(
                f"  [red]✗[/red] {escape(s.name)}: no result (the scenario did not run)", markup=True
            )
        for failure in s.failures if verbose else s.failures[:1]:
            message = escape(failure.message.strip().splitlines()[0] if failure.message.strip() else "")
            render.out.print(
                f"  [red]✗[/red] {escape(s.name)}: {escape(failure.name)}: {message}", markup=True
            )


def _render(report: ConformanceReport, verbose: bool) -> None:
    for run in report.runs:
        render.out.print(_run_table(run))
        _render_failures(run, verbose)
        ok, total = run.counts(scored=True)
        unscored_ok, unscored_total = run.counts(scored=False)
        style = "green" if not run.scored_failures else "red"
        line = f"[{style}]{run.requirement}: {ok}/{total} scored scenarios pass[/{style}]"
        if unscored_total:
            line += f" [dim](unscored: {unscored_ok}/{unscored_total} pass; they never fail the run)[/dim]"
        render.out.print(line + "\n", markup=True)
    verdict = "[green]✓ conformant[/green]" if report.ok else "[red]✗ not conformant[/red]"
    render.out.print(f"{verdict} — raw results in {escape(str(report.results_dir))}", markup=True)


def conformance_cmd(
    workspace: Workspace = Path("."),
    requirements: Annotated[
        str,
        typer.Option("--requirements", "-r", help="Requirement set: 2025-11-25, 2026-07-28, or all (both)."),
    ] = "all",
    scenario: Annotated[
        list[str] | None,
        typer.Option("--scenario", "-s", help="Run only this scenario (repeatable)."),
    ] = None,
    results_dir: Annotated[
        Path | None,
        typer.Option(
            "--results-dir",
            help="Where raw results and summary.json go [default: WS/.mcpgen/conformance/results].",
        ),
    ] = None,
    suite_dir: Annotated[
        Path | None,
        typer.Option(
            "--suite-dir",
            envvar="MCPGEN_CONFORMANCE_DIR",
            help="Install/reuse the suite under this folder [default: WS/.mcpgen/conformance].",
        ),
    ] = None,
    env: Annotated[
        str | None,
        typer.Option("--env", envvar="MCPGEN_ENV", help="Config overlay for the server, as in serve."),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a server config value: --set server.protocol_mode=stateful."),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds each scenario may take.")
    ] = DEFAULT_SCENARIO_TIMEOUT,
    ready_timeout: Annotated[
        float, typer.Option("--ready-timeout", min=1, help="Seconds the server may take to become ready.")
    ] = DEFAULT_READY_TIMEOUT,
    json_out: JsonFlag = False,
) -> None:
    """Run the pinned official MCP conformance suite against the workspace's server.

    Installs @modelcontextprotocol/conformance on first use, serves the workspace on a free
    127.0.0.1 port, runs both requirement sets (or the chosen one) and prints a table.
    Exit 1 when a scored scenario fails; unscored ones (extensions, pending) are only reported.
    """
    options = ConformanceOptions(
        requirements=requirements,
        scenarios=tuple(scenario or ()),
        results_dir=results_dir,
        suite_dir=suite_dir,
        env=env,
        overrides=tuple(set_ or ()),
        scenario_timeout=timeout,
        ready_timeout=ready_timeout,
    )
    progress = _Progress(quiet=state.quiet)
    try:
        plan = plan_conformance(workspace, options)
        report = run_conformance(plan, progress)
    finally:
        progress.close()
    if json_out:
        render.print_json(report.to_data())
    elif not state.quiet or not report.ok:
        _render(report, verbose=state.verbosity > 0)
    if not report.ok:
        raise typer.Exit(1)
