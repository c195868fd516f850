"""``mcpgen plugins``: list the workspace's plugins (in the order their hooks run) and show one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from mcpgen.cli import render
from mcpgen.cli._common import JsonFlag, WorkspaceOpt
from mcpgen.cli.errors import Group
from mcpgen.workflows.plugins import plugin_info, plugin_listing

plugins_app = typer.Typer(
    name="plugins",
    help="Generator and runtime plugins: plugins/ in the workspace and installed `mcpgen.plugins` entry points.",
    cls=Group,
    no_args_is_help=True,
)


def _problems(problems: list[dict[str, Any]]) -> None:
    for problem in problems:
        kind = "error" if problem["required"] else "warning"
        where = f"{problem['origin']}: " if problem["origin"] else ""
        render.err.print(
            f"{where}{kind}: plugin {problem['plugin']!r} failed in {problem['hook']}: {problem['message']}",
            markup=False,
        )


@plugins_app.command("list")
def list_cmd(workspace: WorkspaceOpt = Path("."), json_out: JsonFlag = False) -> None:
    """List the plugins that load, in the order their hooks run, and the ones that do not."""
    data = plugin_listing(workspace)
    if json_out:
        render.print_json(data)
        return
    if not data["plugins"]:
        render.out.print(
            "No plugins (put one in plugins/, or install a package with a `mcpgen.plugins` entry point)."
        )
    else:
        table = Table(header_style="bold")
        for column in ("Name", "Source", "Version", "Requires", "Hooks"):
            table.add_column(column)
        for plugin in data["plugins"]:
            name = plugin["name"] + (" (required)" if plugin["required"] else "")
            hooks = ", ".join(h.removeprefix("mcpgen_") for h in plugin["hooks"])
            table.add_row(
                name, plugin["source"], plugin["version"] or "-", ", ".join(plugin["requires"]) or "-", hooks
            )
        render.out.print(table)
    _problems(data["problems"])


@plugins_app.command("info")
def info_cmd(
    name: Annotated[str, typer.Argument(help="The plugin's name (file stem or entry point name).")],
    workspace: WorkspaceOpt = Path("."),
    json_out: JsonFlag = False,
) -> None:
    """Show one plugin: where it comes from, what it requires, its hooks and its settings."""
    data = plugin_info(workspace, name)
    if json_out:
        render.print_json(data)
        return
    out = render.out
    out.print(f"[bold]{escape(data['name'])}[/bold] {escape(data['version'])}".rstrip(), markup=True)
    if data["description"]:
        out.print(data["description"], markup=False)
    out.print(f"source:   {data['source']} ({data['origin']})", markup=False)
    out.print(f"requires: {', '.join(data['requires']) or '-'}", markup=False)
    out.print(f"required: {'yes (its failure stops the build)' if data['required'] else 'no'}")
    out.print("hooks:")
    for hook in data["hooks"]:
        out.print(f"  {hook['name']}: {hook['doc'].splitlines()[0] if hook['doc'] else ''}", markup=False)
    settings = data["settings"]
    out.print(
        "settings: " + ("" if settings else "- (plugins.settings." + data["name"] + " in config)"),
        markup=False,
    )
    for key, value in sorted(settings.items()):
        out.print(f"  {key}: {render.format_value(value)}", markup=False)
    _problems(data["problems"])
