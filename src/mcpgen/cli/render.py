"""Human and JSON rendering for CLI output. The JSON is the same data the human output shows."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mcpgen.manifest import ToolEntry
from mcpgen.validation import Report

if TYPE_CHECKING:
    from mcpgen.secrets import KeyInfo

# Markup and emoji codes are off: user and file content (paths, Dockerfiles, build output, messages)
# print as written (`mcpgen:x:10001` is not an emoji). Styled lines pass ``markup=True`` and escape
# what they interpolate (``escape``).
out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


def print_json(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n")
    sys.stdout.flush()


def report_data(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = report.to_data()
    return data


def render_report(report: Report, *, quiet: bool = False) -> None:
    """Every diagnostic, then a one-line summary (errors and warnings go to stderr)."""
    for diag in report.diagnostics:
        style = "red" if diag.severity == "error" else "yellow"
        err.print(f"[{style}]{escape(str(diag))}[/{style}]", markup=True, highlight=False)
    if quiet:
        return


def summary_line(tools: int, report: Report) -> str:
    errors, warnings = len(report.errors), len(report.warnings)
    return (
        f"{tools} tool{'s' if tools != 1 else ''}, "
        f"{errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''}"
    )


def tool_data(entry: ToolEntry) -> dict[str, Any]:
    return {
        "name": entry.name,
        "description": entry.description,
        "inputSchema": entry.input_schema,
        "source": {"path": entry.source.path, "line": entry.source.line},
        "credentials": [c.name for c in entry.credentials],
    }


def _params(entry: ToolEntry) -> str:
    props = entry.input_schema.get("properties") or {}
    required = set(entry.input_schema.get("required") or [])
    parts = []
    for name, spec in props.items():
        kind = spec.get("type", "any") if isinstance(spec, dict) else "any"
        parts.append(f"{name}{'' if name in required else '?'}: {kind}")
    return ", ".join(parts)


def render_tools(entries: list[ToolEntry]) -> None:
    table = Table(show_lines=False, header_style="bold")
    table.add_column("Tool", style="cyan", no_wrap=True)
    table.add_column("Parameters")
    table.add_column("Description")
    table.add_column("Source", style="dim", no_wrap=True)
    for entry in entries:
        first_line = entry.description.strip().splitlines()[0] if entry.description.strip() else ""
        where = f"{entry.source.path}:{entry.source.line}" if entry.source.line else entry.source.path
        table.add_row(entry.name, _params(entry), first_line, where)
    out.print(table)


def format_value(value: Any) -> str:
    """A config value for a table cell: JSON for containers, plain text otherwise."""
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if value is None:
        return "null"
    return str(value)


def new_store_notice(key: KeyInfo) -> None:
    """Tell the user where a new store's key is (a generated key file must be backed up)."""
    if key.generated and key.key_file is not None:
        err.print(
            f"[yellow]note:[/yellow] created a new key in {escape(str(key.key_file))}; back it up and keep it out of "
            "version control (without it the secrets cannot be read)",
            markup=True,
            highlight=False,
        )
    else:
        err.print(f"note: created a new secret store keyed by {key.source}", highlight=False)
