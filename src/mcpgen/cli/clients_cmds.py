"""``mcpgen install CLIENT`` (a server into a client's config file) and ``mcpgen pack --mcpb`` (a desktop bundle)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from mcpgen.cli import render
from mcpgen.cli._common import JsonFlag, Workspace, state
from mcpgen.errors import UsageError


class ClientName(StrEnum):
    claude_desktop = "claude-desktop"
    claude_code = "claude-code"
    cursor = "cursor"
    vscode = "vscode"
    gemini = "gemini"


class TransportName(StrEnum):
    stdio = "stdio"
    http = "http"


class ScopeName(StrEnum):
    user = "user"
    project = "project"


def install_cmd(
    client: Annotated[ClientName, typer.Argument(help="The MCP client whose config file to write.")],
    workspace: Workspace = Path("."),
    transport: Annotated[
        TransportName,
        typer.Option("--transport", help="stdio: the client starts the server; http: it connects to --url."),
    ] = TransportName.stdio,
    url: Annotated[
        str | None,
        typer.Option(
            "--url", help="HTTP: the server's URL (default: from server.host and server.port, path /mcp)."
        ),
    ] = None,
    env: Annotated[
        list[str] | None, typer.Option("--env", help="stdio: an environment variable for the server: K=V.")
    ] = None,
    header: Annotated[
        list[str] | None, typer.Option("--header", help="HTTP: a header the client sends: 'Name: value'.")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="The server's name in the client (default: the project name)."),
    ] = None,
    scope: Annotated[
        ScopeName,
        typer.Option("--scope", help="user: the client's own file; project: the one in the current folder."),
    ] = ScopeName.user,
    config_file: Annotated[
        Path | None,
        typer.Option("--config-file", envvar="MCPGEN_CLIENT_CONFIG", help="Write this file instead."),
    ] = None,
    token_env: Annotated[
        str,
        typer.Option(
            "--token-env", help="HTTP with auth: the variable the client reads the bearer token from."
        ),
    ] = "MCPGEN_API_KEY",
    config_env: Annotated[
        str | None, typer.Option("--config-env", help="Serve with the config overlay config/config.ENV.yaml.")
    ] = None,
    print_: Annotated[
        bool, typer.Option("--print", help="Print the servers JSON to paste by hand; write nothing.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add the workspace's server to an MCP client's config (keeps everything else; backs up the old file)."""
    from mcpgen.workflows import clients

    launch, notes = clients.workspace_launch(
        workspace,
        transport.value,
        name=name,
        url=url,
        env=clients.parse_pairs(env or [], "--env"),
        headers=clients.parse_pairs(header or [], "--header", sep=":"),
        token_env=token_env,
        config_env=config_env,
    )
    plan = clients.plan_install(client.value, launch, scope=scope.value, config_file=config_file, notes=notes)
    if print_:
        render.print_json(plan.snippet()) if as_json else typer.echo(json.dumps(plan.snippet(), indent=2))
        return
    result = clients.apply_install(plan)
    if as_json:
        render.print_json(result.to_data())
        return
    if state.quiet:
        return
    verb = {"added": "added", "replaced": "updated", "unchanged": "already up to date:"}[result.action]
    render.out.print(f"{verb} {plan.name} in {plan.path!s} ({plan.client.title})")
    if result.backup:
        render.out.print(f"previous file kept as {result.backup!s}")
    for note in plan.notes:
        render.out.print(f"note: {note}")
    render.out.print(f"restart {plan.client.title} (or reload its MCP servers) to pick it up")


def pack_cmd(
    workspace: Workspace = Path("."),
    mcpb: Annotated[bool, typer.Option("--mcpb", help="Build an MCPB desktop bundle (.mcpb).")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="The bundle file (default: WS/dist/NAME-VERSION.mcpb).")
    ] = None,
    author: Annotated[
        str | None, typer.Option("--author", help="The author named in the bundle (default: your user name).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Package the workspace's server for one-click install in desktop clients (Claude Desktop)."""
    if not mcpb:
        raise UsageError("choose a format: --mcpb (the only one so far)")
    from mcpgen.workflows.pack import plan_bundle, write_bundle

    plan = plan_bundle(workspace, out=out, author=author)

    def progress(line: str) -> None:
        if not state.quiet and not as_json:
            render.err.print(f"mcpgen: {line}")

    result = write_bundle(plan, on_line=progress)
    if as_json:
        render.print_json(result.to_data())
    elif not state.quiet:
        data = result.to_data()
        render.out.print(
            f"{data['file']}: {data['size'] / 1e6:.1f} MB, {len(data['tools'])} tools, "
            f"user_config: {', '.join(data['user_config']) or 'none'}"
        )
