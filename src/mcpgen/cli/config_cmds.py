"""``mcpgen generate`` and ``mcpgen config show``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from mcpgen.cli import render
from mcpgen.cli._common import BackupFile, JsonFlag, ReplaceFile, Workspace, WorkspaceOpt, state
from mcpgen.cli.errors import Group

config_app = typer.Typer(help="Inspect the runtime configuration.", cls=Group, no_args_is_help=True)

EnvOption = Annotated[
    str | None,
    typer.Option("--env", help="Environment overlay: config/config.ENV.yaml (default: $MCPGEN_ENV)."),
]
SetOption = Annotated[
    list[str] | None, typer.Option("--set", help="Override a value: --set server.port=9000 (repeatable).")
]


def generate_cmd(
    workspace: Workspace = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing config files.")] = False,
    monitoring: Annotated[
        bool,
        typer.Option(
            "--monitoring",
            help="Also write monitoring/: a Grafana dashboard, Prometheus alert rules, a compose file.",
        ),
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Write the manifest and, where missing, config/config.yaml (+ .dev, .prod) and config/schema.json."""
    from mcpgen.workflows.configure import write_config_files
    from mcpgen.workflows.generate import generate

    gen = generate(workspace)
    render.render_report(gen.report)
    if gen.manifest is None:
        render.err.print(
            f"[red]✗ {render.summary_line(len(gen.discovery.tools), gen.report)}[/red]", markup=True
        )
        raise typer.Exit(1)
    files = write_config_files(gen, force=force)
    written, kept = list(files.written), list(files.kept)
    from mcpgen.workflows.registry_entry import write_server_json

    entry = write_server_json(gen, os.environ)
    written.append(entry.path.relative_to(gen.project.root))
    for warning in entry.warnings:
        render.err.print(f"[yellow]warning:[/yellow] {warning}", markup=True, highlight=False)
    if monitoring:
        from mcpgen.workflows.monitoring import write_monitoring

        more = write_monitoring(gen.project, force=force)
        written, kept = written + more[0], kept + more[1]
    if json_out:
        render.print_json(
            {
                "manifest": str(files.manifest),
                "written": [str(p) for p in written],
                "kept": [str(p) for p in kept],
                "credentials": [c.name for c in gen.manifest.credentials],
                "registryName": entry.name,
                "warnings": entry.warnings,
            }
        )
        return
    if state.quiet:
        return
    render.out.print(f"[green]wrote[/green]   {escape(str(files.manifest))}", markup=True)
    for rel in written:
        render.out.print(f"[green]wrote[/green]   {escape(str(workspace / rel))}", markup=True)
    for rel in kept:
        render.out.print(
            f"[yellow]kept[/yellow]    {escape(str(workspace / rel))} (exists; --force overwrites)",
            markup=True,
        )
    required = [c.name for c in gen.manifest.credentials if c.required]
    if required:
        render.out.print(
            f"\nRequired credentials: {escape(', '.join(required))} — run [bold]mcpgen credentials[/bold]",
            markup=True,
        )


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(data, dict) and data:
        rows: list[tuple[str, Any]] = []
        for key in data:
            rows.extend(_flatten(data[key], f"{prefix}.{key}" if prefix else str(key)))
        return rows
    return [(prefix, data)]


@config_app.command("show")
def show_cmd(
    workspace: Workspace = Path("."),
    env: EnvOption = None,
    set_: SetOption = None,
    sources: Annotated[bool, typer.Option("--sources", help="Show where every value comes from.")] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when a ${NAME} the config uses is not set.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Print the merged configuration (secrets masked), optionally with the source of every value.

    A credential (``${NAME}``) that is neither stored nor in the environment is shown as missing.
    """
    from mcpgen.workflows.configure import show_config

    loaded = show_config(
        workspace,
        env=env or os.environ.get("MCPGEN_ENV") or None,
        environ=os.environ,
        overrides=set_ or (),
    )
    data = loaded.to_data()
    missing = {key: variable for key, variable in loaded.missing}
    if json_out:
        payload: dict[str, Any] = {
            "env": loaded.env,
            "files": [str(p) for p in loaded.files],
            "config": data,
            "missing": [{"key": key, "variable": variable} for key, variable in loaded.missing],
        }
        if sources:
            payload["sources"] = dict(loaded.sources)
        render.print_json(payload)
        _strict_exit(strict, missing)
        return
    render.out.print(
        f"# env overlay: {loaded.env or 'none'}; files: {', '.join(str(p) for p in loaded.files) or 'none'}"
    )
    rows = _flatten(data)
    width = max((len(key) for key, _ in rows), default=0)
    for key, value in rows:
        shown = f"<missing: ${{{missing[key]}}}>" if key in missing else render.format_value(value)
        line = f"{key.ljust(width)} = {shown}"
        if sources:
            line += f"  # {loaded.sources.get(key, 'default')}"
        render.out.print(line, markup=False, highlight=False)
    if missing:
        names = ", ".join(sorted(set(missing.values())))
        render.err.print(
            f"missing: {names} — set them with `mcpgen credentials` or `mcpgen secrets set NAME`",
            markup=False,
            highlight=False,
        )
    _strict_exit(strict, missing)


def _strict_exit(strict: bool, missing: dict[str, str]) -> None:
    if strict and missing:
        raise typer.Exit(1)


@config_app.command("backup")
def backup_cmd(
    file: BackupFile,
    force: ReplaceFile = False,
    workspace: WorkspaceOpt = Path("."),
    json_out: JsonFlag = False,
) -> None:
    """Write every file of config/ to FILE with a manifest of SHA-256 hashes."""
    from mcpgen.workflows.backup import backup_config_folder

    written = backup_config_folder(workspace, file, force=force)
    if json_out:
        render.print_json({"file": str(written.path), "count": written.count})
    elif not state.quiet:
        render.out.print(f"backed up {written.count} config file(s) to {written.path}")


@config_app.command("restore")
def restore_cmd(
    file: BackupFile,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace config files that differ from the backup (local changes)."),
    ] = False,
    workspace: WorkspaceOpt = Path("."),
    json_out: JsonFlag = False,
) -> None:
    """Restore config/ from FILE after verifying it; refuses to replace local changes without --force."""
    from mcpgen.workflows.backup import restore_config_folder

    result = restore_config_folder(workspace, file, force=force)
    if json_out:
        render.print_json(
            {
                "written": result.written,
                "unchanged": result.unchanged,
                "kept": result.kept,
                "overwritten": result.overwritten,
            }
        )
        return
    if state.quiet:
        return
    for rel in result.written:
        render.out.print(f"[green]restored[/green]  config/{escape(str(rel))}", markup=True)
    for rel in result.kept:
        render.out.print(
            f"[yellow]kept[/yellow]      config/{escape(str(rel))} (not in the backup)", markup=True
        )
    render.out.print(f"{len(result.written)} file(s) restored, {len(result.unchanged)} unchanged")
