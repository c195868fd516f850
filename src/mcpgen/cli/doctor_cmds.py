"""``mcpgen doctor``: one report of everything that can be wrong (see :mod:`mcpgen.workflows.doctor`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mcpgen.cli import render
from mcpgen.cli._common import JsonFlag, Timeout, Workspace, state

_MARKS = {"ok": "[green]✓[/green]", "warning": "[yellow]![/yellow]", "error": "[red]✗[/red]"}


def doctor_cmd(
    workspace: Workspace = Path("."),
    env: Annotated[
        str | None,
        typer.Option("--env", help="Environment overlay: config/config.ENV.yaml (default: $MCPGEN_ENV)."),
    ] = None,
    build: Annotated[
        bool, typer.Option("--build", help="You build images: an unreachable Docker engine is an error.")
    ] = False,
    probe_timeout: Annotated[
        float,
        typer.Option("--probe-timeout", min=0.1, help="Seconds for each probe (Node, Docker, npm registry)."),
    ] = 3.0,
    timeout: Timeout = 10.0,
    json_out: JsonFlag = False,
) -> None:
    """Check Python, Node, the workspace, config, credentials, the secret store, Docker, the port and
    the conformance suite; exit 1 when something blocks serving."""
    from mcpgen.workflows.doctor import DoctorOptions, run_doctor
    from mcpgen.workflows.project import load_project

    load_project(workspace)  # a missing workspace is a plain error, not nine failed checks
    options = DoctorOptions(env=env, build=build, timeout=probe_timeout, module_timeout=timeout)
    report = run_doctor(workspace, options, environ=os.environ)
    if json_out:
        render.print_json(report.to_data())
    else:
        width = max(len(c.name) for c in report.checks)
        for check in report.checks:
            if state.quiet and check.status != "error":
                continue
            render.out.print(
                f"{_MARKS[check.status]} {check.name.ljust(width)}  {escape(check.detail)}", markup=True
            )
            for line in check.lines:
                render.out.print(f"    {escape(line)}", markup=True)
            if check.hint and check.status != "ok":
                render.out.print(f"    [dim]→ {escape(check.hint)}[/dim]", markup=True)
        if not state.quiet:
            style = "green" if report.ok else "red"
            render.out.print(
                f"[{style}]{len(report.errors)} error(s), {len(report.warnings)} warning(s)[/{style}]",
                markup=True,
            )
    if not report.ok:
        raise typer.Exit(1)
