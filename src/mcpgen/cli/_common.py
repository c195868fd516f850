"""What every command module shares: the global flags' state and the common options.

Command modules import this (and :mod:`mcpgen.cli.render`, :mod:`mcpgen.cli.errors`),
never :mod:`mcpgen.cli.app`, which only assembles them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mcpgen.runtime.settings import LogLevelName

JSON_KEY = "mcpgen.json"
"""``typer.Context.meta`` key set when the command was given ``--json`` (errors are then rendered as JSON too)."""


class _State:
    quiet: bool = False
    verbosity: int = 0


state = _State()
"""``-q`` and ``-v`` of the current invocation (set by the root callback)."""


def _remember_json(ctx: typer.Context, value: bool) -> bool:
    if value:
        ctx.meta[JSON_KEY] = True
    return value


Workspace = Annotated[Path, typer.Argument(help="Workspace folder (default: current directory).")]
WorkspaceOpt = Annotated[
    Path, typer.Option("-w", "--workspace", help="Workspace folder (default: current directory).")
]
JsonFlag = Annotated[
    bool,
    typer.Option("--json", help="Print machine-readable JSON instead of text.", callback=_remember_json),
]
BackupFile = Annotated[Path, typer.Argument(help="The backup file.")]
ReplaceFile = Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")]
Timeout = Annotated[
    float,
    typer.Option("--timeout", min=0.1, help="Seconds each module may take to import before it is reported."),
]


def server_log_level() -> LogLevelName | None:
    """-q and -v override the config's logging.level for servers; ``None`` keeps the config's."""
    if state.quiet:
        return "error"
    return "debug" if state.verbosity else None
