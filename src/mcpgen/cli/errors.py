"""The one place where a failure becomes a message and an exit code (pypa/build's ``_handle_build_error``).

Commands raise; they do not catch. :class:`Group` (the class of every ``mcpgen``
command group) runs each command inside :func:`handle_errors`, which turns

- an :class:`~mcpgen.errors.McpgenError` into ``error: MESSAGE`` on stderr, with
  what the error carries (the validation report, the failed build step and its
  output, a hint), and exits with the error's ``exit_code`` (1; 2 for usage errors);
  with ``--json`` the same error is also printed on stdout as
  ``{"error": {"type", "message", "exitCode", ...}}``;
- Ctrl+C (``KeyboardInterrupt``) into exit 130, after the command's line from
  :data:`INTERRUPTED` (what was kept, what was not).

Usage errors found while parsing (unknown flag, bad value) are Typer's: its
usage message and exit 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from mcpgen.cli import render
from mcpgen.cli._common import JSON_KEY
from mcpgen.errors import ImageBuildError, McpgenError, ValidationFailed

EXIT_INTERRUPTED = 130
CANCELLED = "Cancelled; nothing was saved."
INTERRUPTED = {
    "build": "[yellow]interrupted: nothing was tagged[/yellow]",
    "credentials": CANCELLED,
    "secrets set": CANCELLED,
    "secrets get": CANCELLED,
    "secrets list": CANCELLED,
    "secrets rm": CANCELLED,
    "secrets export-env": CANCELLED,
    "secrets rotate": "Cancelled; nothing was changed.",
    "loadtest": "[yellow]interrupted: no report[/yellow]",
}
"""What Ctrl+C prints, by command; a command not listed exits 130 without a word."""


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def error_data(exc: McpgenError) -> dict[str, Any]:
    """The error as JSON data: its kind, message, exit code and the context it carries."""
    data: dict[str, Any] = {"type": type(exc).__name__, "message": exc.message, "exitCode": exc.exit_code}
    for name, value in vars(exc).items():
        if name == "message" or name.startswith("_") or value is None or value in ("", [], {}):
            continue
        if isinstance(exc, ValidationFailed) and name == "report":
            data.update(render.report_data(value))
        else:
            data[name] = _plain(value)
    return data


def show_error(exc: McpgenError, *, as_json: bool = False) -> None:
    """Print ``exc`` for a person on stderr (and as JSON on stdout with ``as_json``)."""
    if isinstance(exc, ValidationFailed):
        render.render_report(exc.report)
    if isinstance(exc, ImageBuildError):
        render.err.print(f"[red]✗ build failed at step: {escape(exc.step)}[/red]", markup=True)
        if exc.output:
            render.err.print(exc.output, markup=False, highlight=False)
    render.err.print(f"[red]error:[/red] {escape(exc.message)}", markup=True, highlight=False)
    hint = getattr(exc, "hint", None)
    if hint:
        render.err.print(f"[yellow]hint:[/yellow] {escape(hint)}", markup=True, highlight=False)
    if as_json:
        render.print_json({"error": error_data(exc)})


def _command_path(ctx: typer.Context) -> str:
    """``secrets rotate`` for ``mcpgen secrets rotate``: the subcommands invoked, from the root down."""
    names: list[str] = []
    at: Any = ctx
    while at is not None:
        if at.invoked_subcommand:
            names.append(at.invoked_subcommand)
        at = at.parent
    return " ".join(reversed(names))


@contextmanager
def handle_errors(ctx: typer.Context) -> Iterator[None]:
    """Run a command of ``ctx``; map what it raises to a message and an exit code."""
    try:
        yield
    except KeyboardInterrupt:
        message = INTERRUPTED.get(_command_path(ctx))
        if message:
            render.err.print(message, markup=True, highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except McpgenError as exc:
        show_error(exc, as_json=bool(ctx.meta.get(JSON_KEY)))
        raise typer.Exit(exc.exit_code) from None


class Group(TyperGroup):
    """A command group whose commands' failures go through :func:`handle_errors`."""

    def invoke(self, ctx: Any) -> Any:  # Any: Typer types it with its private copy of click's Context
        with handle_errors(ctx):
            return super().invoke(ctx)
