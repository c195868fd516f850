"""The ``mcpgen`` command: parse, call a workflow, render. Exit codes: 0 ok, 1 errors, 2 usage."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.markup import escape

from mcpgen import manifest as manifest_io
from mcpgen._version import __version__
from mcpgen.cli import render
from mcpgen.errors import McpgenError
from mcpgen.runtime.logs import configure_logging
from mcpgen.runtime.settings import LogLevelName
from mcpgen.workflows.generate import Generated, generate, write_manifest
from mcpgen.workflows.init import init_workspace

app = typer.Typer(
    name="mcpgen",
    help="Turn a folder of Python tools into a production MCP server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Workspace = Annotated[Path, typer.Argument(help="Workspace folder (default: current directory).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of text.")]
Timeout = Annotated[
    float,
    typer.Option("--timeout", min=0.1, help="Seconds each module may take to import before it is reported."),
]


class _State:
    quiet: bool = False
    verbosity: int = 0


state = _State()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mcpgen {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only print errors.")] = False,
    verbose: Annotated[
        int, typer.Option("-v", "--verbose", count=True, help="More output (-vv for debug).")
    ] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    state.quiet = quiet
    state.verbosity = verbose
    configure_logging("error" if quiet else "debug" if verbose >= 2 else "info" if verbose else "warning")


def server_log_level() -> LogLevelName | None:
    """-q, -v and -vv override the config's logging.level for servers; ``None`` keeps the config's."""
    if state.quiet:
        return "error"
    if state.verbosity:
        return "debug" if state.verbosity >= 2 else "info"
    return None


def fail(exc: McpgenError) -> NoReturn:
    render.err.print(f"[red]error:[/red] {escape(exc.message)}", markup=True, highlight=False)
    raise typer.Exit(exc.exit_code)


def _generate(workspace: Path, timeout: float = 10.0) -> Generated:
    try:
        return generate(workspace, timeout=timeout)
    except McpgenError as exc:
        fail(exc)


@app.command("init")
def init_cmd(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that already exist.")] = False,
    lang: Annotated[
        str, typer.Option("--lang", help="Language of the example tool: python or typescript.")
    ] = "python",
    json_out: JsonFlag = False,
) -> None:
    """Create a workspace: mcpgen.yaml, tools/ with an example tool, resources/, prompts/."""
    if lang not in ("python", "typescript"):
        render.err.print(f"error: --lang must be python or typescript, not {lang!r}")
        raise typer.Exit(2)
    result = init_workspace(directory, force=force, lang="typescript" if lang == "typescript" else "python")
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
            render.out.print(f"[green]created[/green] {directory / rel}", markup=True)
        for rel in result.skipped:
            render.out.print(
                f"[yellow]kept[/yellow]    {directory / rel} (exists; --force overwrites)", markup=True
            )
        render.out.print(f"\nNext: [bold]mcpgen dev {directory}[/bold]", markup=True)


def _validate_payload(gen: Generated) -> dict[str, Any]:
    return {
        "ok": gen.report.ok,
        "workspace": str(gen.project.root),
        "tools": sorted(t.name for t in gen.discovery.tools),
        "resources": sorted((r.uri or r.uri_template or "") for r in gen.discovery.resources),
        "prompts": sorted(p.name for p in gen.discovery.prompts),
        **render.report_data(gen.report),
    }


@app.command("validate")
def validate_cmd(
    workspace: Workspace = Path("."), json_out: JsonFlag = False, timeout: Timeout = 10.0
) -> None:
    """Discover and validate every module; report all problems at once (exit 1 on errors)."""
    gen = _generate(workspace, timeout)
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


def _list_tools(workspace: Path, json_out: bool, timeout: float) -> None:
    gen = _generate(workspace, timeout)
    tools = sorted(gen.discovery.tools, key=lambda t: t.name)
    if json_out:
        render.print_json({"tools": [render.tool_data(t) for t in tools], **render.report_data(gen.report)})
    else:
        render.render_report(gen.report)
        render.render_tools(tools)
    if not gen.report.ok:
        raise typer.Exit(1)


@app.command("list-tools")
def list_tools_cmd(
    workspace: Workspace = Path("."), json_out: JsonFlag = False, timeout: Timeout = 10.0
) -> None:
    """List the tools of a workspace with their parameters and source."""
    _list_tools(workspace, json_out, timeout)


@app.command("ls", hidden=True)
def ls_cmd(workspace: Workspace = Path("."), json_out: JsonFlag = False, timeout: Timeout = 10.0) -> None:
    """Alias of list-tools."""
    _list_tools(workspace, json_out, timeout)


@app.command("manifest")
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
    gen = _generate(workspace, timeout)
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


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except McpgenError as exc:  # pragma: no cover - commands map their own errors
        render.err.print(f"error: {exc.message}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)


# Registers `dev` and `serve` on `app` (kept in their own module).
from mcpgen.cli import build_cmds as _build_cmds  # noqa: E402, F401
from mcpgen.cli import config_cmds as _config_cmds  # noqa: E402, F401
from mcpgen.cli import conformance_cmds as _conformance_cmds  # noqa: E402, F401
from mcpgen.cli import credentials_cmds as _credentials_cmds  # noqa: E402, F401
from mcpgen.cli import serve_cmds as _serve_cmds  # noqa: E402, F401
