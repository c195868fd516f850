"""``mcpgen dev`` and ``mcpgen serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mcpgen.cli import render
from mcpgen.cli.app import app, fail, server_log_level
from mcpgen.errors import McpgenError, ValidationFailed

Host = Annotated[str, typer.Option("--host", help="Address to bind (default loopback only).")]
Port = Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")]


def _fail(exc: McpgenError) -> None:
    if isinstance(exc, ValidationFailed):
        render.render_report(exc.report)
    fail(exc)


@app.command("dev")
def dev_cmd(
    workspace: Annotated[Path, typer.Argument(help="Workspace folder.")] = Path("."),
    host: Host = "127.0.0.1",
    port: Port = 8080,
) -> None:
    """Serve a workspace from source on http://HOST:PORT/mcp and reload when files change."""
    from mcpgen.workflows.serve import ServeOptions, dev  # the server stack loads only when serving

    try:
        dev(workspace, ServeOptions(host=host, port=port, log_level=server_log_level()))
    except McpgenError as exc:
        _fail(exc)


@app.command("serve")
def serve_cmd(
    workspace: Annotated[Path | None, typer.Argument(help="Workspace folder (or use --manifest).")] = None,
    manifest: Annotated[
        Path | None, typer.Option("--manifest", help="Serve exactly this manifest.json (no rescanning).")
    ] = None,
    host: Host = "127.0.0.1",
    port: Port = 8080,
    transport: Annotated[str, typer.Option("--transport", help="http (Streamable HTTP) or stdio.")] = "http",
    stateful: Annotated[bool, typer.Option("--stateful", help="Keep sessions (default: stateless).")] = False,
    json_response: Annotated[
        bool,
        typer.Option(
            "--json-response", help="Answer with plain JSON instead of an SSE stream (no notifications)."
        ),
    ] = False,
) -> None:
    """Serve a workspace (or a manifest) over Streamable HTTP or stdio."""
    from mcpgen.workflows.serve import ServeOptions, serve

    try:
        serve(
            workspace if workspace is not None or manifest is not None else Path("."),
            manifest,  # with a workspace too, entrypoint paths are relative to the workspace
            ServeOptions(
                host=host,
                port=port,
                transport=transport,
                stateful=stateful,
                json_response=json_response,
                log_level=server_log_level(),
            ),
        )
    except McpgenError as exc:
        _fail(exc)
