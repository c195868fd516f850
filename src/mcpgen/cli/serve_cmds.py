"""``mcpgen dev`` and ``mcpgen serve``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from mcpgen.cli._common import server_log_level


class ProtocolMode(StrEnum):
    auto = "auto"
    stateless = "stateless"
    stateful = "stateful"


Host = Annotated[
    str | None, typer.Option("--host", help="Address to bind [default: server.host, 127.0.0.1].")
]
Port = Annotated[
    int | None, typer.Option("--port", min=0, max=65535, help="TCP port [default: server.port, 8080].")
]
Env = Annotated[
    str | None,
    typer.Option(
        "--env", envvar="MCPGEN_ENV", help="Config overlay config/config.ENV.yaml (e.g. dev, prod)."
    ),
]
Sets = Annotated[
    list[str] | None, typer.Option("--set", help="Override a config value: --set server.port=9000.")
]


def dev_cmd(
    workspace: Annotated[Path, typer.Argument(help="Workspace folder.")] = Path("."),
    host: Host = None,
    port: Port = None,
    env: Env = None,
    set_: Sets = None,
) -> None:
    """Serve a workspace from source on http://HOST:PORT/mcp and reload when files change."""
    from mcpgen.workflows.serve import ServeOptions, dev  # the server stack loads only when serving

    options = ServeOptions(
        host=host, port=port, log_level=server_log_level(), env=env or "dev", overrides=tuple(set_ or ())
    )
    dev(workspace, options)


def serve_cmd(
    workspace: Annotated[Path | None, typer.Argument(help="Workspace folder (or use --manifest).")] = None,
    manifest: Annotated[
        Path | None, typer.Option("--manifest", help="Serve exactly this manifest.json (no rescanning).")
    ] = None,
    host: Host = None,
    port: Port = None,
    env: Env = None,
    set_: Sets = None,
    transport: Annotated[str, typer.Option("--transport", help="http (Streamable HTTP) or stdio.")] = "http",
    protocol_mode: Annotated[
        ProtocolMode | None,
        typer.Option(
            "--protocol-mode", help="Sessions for 2025-11-25 clients [default: server.protocol_mode]."
        ),
    ] = None,
    stateful: Annotated[
        bool | None,
        typer.Option("--stateful/--stateless", help="Shortcuts for --protocol-mode stateful/stateless."),
    ] = None,
    json_response: Annotated[
        bool | None,
        typer.Option(
            "--json-response/--auto-response",
            help="Plain JSON for every answer (notifications dropped) [default: JSON unless a stream is needed].",
        ),
    ] = None,
    reload: Annotated[
        bool,
        typer.Option(
            "--reload",
            help="Watch the workspace and reload the tools on change (a failed reload keeps the old).",
        ),
    ] = False,
) -> None:
    """Serve a workspace (or a manifest) over Streamable HTTP or stdio. SIGHUP reloads the tools."""
    from mcpgen.workflows.serve import ServeOptions, serve

    serve(
        workspace if workspace is not None or manifest is not None else Path("."),
        manifest,  # with a workspace too, entrypoint paths are relative to the workspace
        ServeOptions(
            host=host,
            port=port,
            transport=transport,
            protocol_mode=protocol_mode
            or (None if stateful is None else ("stateful" if stateful else "stateless")),
            json_response=json_response,
            log_level=server_log_level(),
            env=env,
            overrides=tuple(set_ or ()),
            reload=reload,
        ),
    )
