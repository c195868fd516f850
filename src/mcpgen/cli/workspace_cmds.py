"""``mcpgen init``, ``validate``, ``list-tools`` (``ls``) and ``manifest``: a workspace and what it holds."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from mcpgen import manifest as manifest_io
from mcpgen.cli import render
from mcpgen.cli._common import JsonFlag, Timeout, Workspace, state
from mcpgen.errors import UsageError
from mcpgen.workflows.generate import Generated, generate, write_manifest
from mcpgen.workflows.init import init_workspace, template_names


def init_cmd(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that already exist.")] = False,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            "-t",
            help=f"What to start from: {', '.join(template_names())} (openapi: later). Default: python.",
        ),
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Language of the example tool: python or typescript.")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Create a workspace: mcpgen.yaml, tools/ with an example tool, resources/, prompts/."""
    if lang is not None and lang not in ("python", "typescript"):
        raise UsageError(f"--lang must be python or typescript, not {lang!r}")
    if lang is not None and template is not None and lang != template:
        raise UsageError(f"--lang {lang} and --template {template} disagree; --template alone is enough")
    result = init_workspace(directory, force=force, template=template or lang or "python")
    if json_out:
        render.print_json(
            {
                "root": str(directory),
                "created": [str(p) for p in result.created],
                "skipped": [str(p) for p in result.skipped],
            }
        )
        return
    if not state.quiet:
        for rel in result.created:
            render.out.print(f"[green]created[/green] {escape(str(directory / rel))}", markup=True)
        for rel in result.skipped:
            render.out.print(
                f"[yellow]kept[/yellow]    {escape(str(directory / rel))} (exists; --force overwrites)",
                markup=True,
            )
        render.out.print(f"\nNext: [bold]mcpgen dev {escape(str(directory))}[/bold]", markup=True)


def _validate_payload(gen: Generated) -> dict[str, Any]:
    return {
        "ok": gen.report.ok,
        "workspace": str(gen.project.root),
        "tools": sorted(t.name for t in gen.discovery.tools),
        "resources": sorted((r.uri or r.uri_template or "") for r in gen.discovery.resources),
        "prompts": sorted(p.name for p in gen.discovery.prompts),
        **render.report_data(gen.report),
    }


def validate_cmd(
    workspace: Workspace = Path("."), json_out: JsonFlag = False, timeout: Timeout = 10.0
) -> None:
    """Discover and validate every module and the layered config; report all problems at once (exit 1 on errors)."""
    from mcpgen.workflows.configure import with_config_problems

    gen = with_config_problems(generate(workspace, timeout=timeout), os.environ)
    if json_out:
        render.print_json(_validate_payload(gen))
    else:
        render.render_report(gen.report)
        if not state.quiet:
            line = render.summary_line(len(gen.discovery.tools), gen.report)
            style = "green" if gen.report.ok else "red"
            render.out.print(f"[{style}]{'✓' if gen.report.ok else '✗'} {line}[/{style}]", markup=True)
    if not gen.report.ok:
        raise typer.Exit(1)


def list_tools_cmd(
    workspace: Workspace = Path("."), json_out: JsonFlag = False, timeout: Timeout = 10.0
) -> None:
    """List the tools of a workspace with their parameters and source."""
    gen = generate(workspace, timeout=timeout)
    tools = sorted(gen.discovery.tools, key=lambda t: t.name)
    if json_out:
        render.print_json({"tools": [render.tool_data(t) for t in tools], **render.report_data(gen.report)})
    else:
        render.render_report(gen.report)
        render.render_tools(tools)
    if not gen.report.ok:
        raise typer.Exit(1)


def ls_cmd(workspace: Workspace = Path("."), json_out: JsonFlag = False, timeout: Timeout = 10.0) -> None:
    """Alias of list-tools."""
    list_tools_cmd(workspace, json_out, timeout)


def manifest_cmd(
    workspace: Workspace = Path("."),
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to FILE instead of stdout.")
    ] = None,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the manifest's JSON Schema instead.")
    ] = False,
    timeout: Timeout = 10.0,
) -> None:
    """Print (or write) the deterministic manifest.json of a workspace."""
    if schema:
        render.print_json(manifest_io.json_schema())
        return
    gen = generate(workspace, timeout=timeout)
    render.render_report(gen.report)
    if gen.manifest is None:
        render.err.print(
            f"[red]✗ {render.summary_line(len(gen.discovery.tools), gen.report)}[/red]", markup=True
        )
        raise typer.Exit(1)
    if output is None:
        sys.stdout.buffer.write(manifest_io.dumps(gen.manifest))
        sys.stdout.flush()
        return
    target = write_manifest(gen, output)
    if not state.quiet:
        render.err.print(f"wrote {target} ({len(gen.manifest.tools)} tools)")
