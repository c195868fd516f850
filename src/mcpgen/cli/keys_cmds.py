"""``mcpgen keys``: create, list and revoke API keys for the server's inbound authentication.

A key is printed once, by ``create``; only its hash is stored. ``list`` shows
names, roles, dates and the key's first characters.
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mcpgen.cli import render
from mcpgen.cli._common import JsonFlag, WorkspaceOpt, state
from mcpgen.cli.errors import Group, show_error
from mcpgen.errors import UsageError
from mcpgen.secrets.api_keys import ApiKey
from mcpgen.workflows.keys import create_key, list_keys, revoke_key

keys_app = typer.Typer(
    name="keys",
    help="Manage API keys callers present to the server (server.auth.api_keys).",
    cls=Group,
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(help="Key name: who or what uses it (shown in the audit log).")]


@keys_app.command("create")
def create_cmd(
    name: NameArg,
    role: Annotated[str, typer.Option("--role", help="Role the key grants (server.auth.roles).")],
    expires: Annotated[
        str | None,
        typer.Option("--expires", help="Expiry: a duration (12h, 30d, 4w) or a date (2027-01-31)."),
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    json_out: JsonFlag = False,
) -> None:
    """Create a key and print it once (only its hash is kept)."""
    record, key, path = create_key(workspace, name, role, expires)
    if json_out:
        render.print_json({"key": key, "file": str(path), **_row(record)})
        return
    if not state.quiet:
        render.err.print(f"created key {name} (role {record.role}) in {path}; shown only this once:")
    sys.stdout.write(key + "\n")
    sys.stdout.flush()
    if not state.quiet:
        render.err.print("Send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`.")


def _row(record: ApiKey) -> dict[str, object]:
    data = asdict(record)
    data.pop("hash")
    return data


@keys_app.command("list")
def list_cmd(workspace: WorkspaceOpt = Path("."), json_out: JsonFlag = False) -> None:
    """List keys: name, role, created, expires, first characters (never the key)."""
    keys, path = list_keys(workspace)
    now = datetime.now(UTC)
    rows = [{**_row(k), "expired": k.expired(now)} for k in keys]
    if json_out:
        render.print_json({"file": str(path), "keys": rows})
        return
    if not rows:
        render.out.print(f"No API keys in {path} (create one with `mcpgen keys create NAME --role ROLE`).")
        return
    table = Table(header_style="bold")
    for column in ("Name", "Role", "Created", "Expires", "Starts with"):
        table.add_column(column, no_wrap=True)
    for row in rows:
        expires = str(row["expires"] or "never") + (" (expired)" if row["expired"] else "")
        table.add_row(str(row["name"]), str(row["role"]), str(row["created"]), expires, f"{row['prefix']}…")
    render.out.print(table)


@keys_app.command("revoke")
def revoke_cmd(name: NameArg, workspace: WorkspaceOpt = Path("."), json_out: JsonFlag = False) -> None:
    """Revoke a key (a running server stops accepting it within a second; exit 1 when there is none)."""
    removed = revoke_key(workspace, name)
    if json_out:
        render.print_json({"name": name, "revoked": removed})
    elif removed and not state.quiet:
        render.out.print(f"revoked {name}")
    if not removed:
        show_error(UsageError(f"no API key named {name!r}"))
        raise typer.Exit(1)
