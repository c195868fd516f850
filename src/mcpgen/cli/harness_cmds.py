"""``mcpgen test``, ``mcpgen record`` and ``mcpgen replay``: the testing harness on the command line."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from mcpgen.cli import render
from mcpgen.cli._common import JsonFlag, Workspace, state
from mcpgen.errors import UsageError

if TYPE_CHECKING:  # the workflows import the runtime (the SDK): only when a command runs
    from mcpgen.workflows.sessions import Exchange, ReplayReport

Overrides = Annotated[
    list[str] | None, typer.Option("--set", help="Override a config value: --set services.x.endpoint=URL.")
]
EnvName = Annotated[
    str | None,
    typer.Option(
        "--env", envvar="MCPGEN_ENV", help="Config overlay config/config.ENV.yaml (e.g. dev, prod)."
    ),
]


def run_tests_cmd(
    workspace: Workspace = Path("."),
    pytest_args: Annotated[
        list[str] | None, typer.Argument(help="Arguments for pytest, after -- (e.g. -- -k greet -x).")
    ] = None,
) -> None:
    """Run the workspace's tests (pytest with the mcpgen.testing fixtures); exit with pytest's code."""
    args = list(pytest_args or [])
    if str(workspace).startswith("-"):  # `mcpgen test -- -x`: everything after -- is pytest's
        args.insert(0, str(workspace))
        workspace = Path(".")
    if not workspace.is_dir():
        raise UsageError(f"workspace {workspace} is not a directory")
    from mcpgen.workflows.testing import run_tests

    code = run_tests(workspace, args)
    if code:
        raise typer.Exit(code)


def record_cmd(
    workspace: Workspace = Path("."),
    out: Annotated[Path, typer.Option("--out", "-o", help="Session file to write (JSON Lines).")] = Path(
        "session.mcp.jsonl"
    ),
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 for your client (0: any free).")
    ] = 8765,
    transport: Annotated[
        str,
        typer.Option(
            "--transport", help="http (a URL for your client) or stdio (your client starts this command)."
        ),
    ] = "http",
    overrides: Overrides = None,
    env: EnvName = None,
    json_out: JsonFlag = False,
) -> None:
    """Serve the workspace and record every JSON-RPC exchange of your client (secrets masked).

    Point an MCP client at the printed URL, use it, then press Ctrl+C: the session file can be
    replayed with `mcpgen replay`, or run as a test (name it *.mcp.jsonl under tests/). With
    --transport stdio, make this command your client's server command instead; it records until
    the client closes the connection.
    """

    def seen(exchange: Exchange) -> None:
        if not state.quiet:  # stderr: --json output on stdout stays clean
            render.err.print(f"[dim]›[/dim] {escape(exchange.label)} → {exchange.status}", markup=True)

    if transport not in ("http", "stdio"):
        raise UsageError(f"--transport must be http or stdio, not {transport!r}")
    if transport == "stdio":
        from mcpgen.workflows.sessions import record_stdio

        count = record_stdio(
            workspace,
            out,
            sys.stdin.buffer,
            sys.stdout.buffer,
            env=env,
            overrides=tuple(overrides or ()),
            on_exchange=seen,
        )
        if not state.quiet:  # stdout is the protocol's: the summary goes to stderr
            render.err.print(f"recorded {count} exchange(s) to {out}")
        return

    from mcpgen.workflows.sessions import start_recording

    done = threading.Event()  # set by Ctrl+C or SIGTERM, also while the server is starting
    previous = {sig: signal.signal(sig, lambda *_: done.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        recording = start_recording(
            workspace, out, port=port, overrides=tuple(overrides or ()), env=env, on_exchange=seen
        )
        try:
            if not state.quiet:
                render.err.print(
                    f"recording to {out}: point your MCP client at [bold]{recording.mcp_url}[/bold] "
                    "(Ctrl+C to stop)",
                    markup=True,
                )
            done.wait()
        finally:
            count = recording.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if json_out:
        render.print_json({"out": str(out), "exchanges": count, "url": recording.mcp_url})
    elif not state.quiet:
        render.out.print(f"recorded {count} exchange(s) to {out}")


def _render_replay(report: ReplayReport) -> None:
    if report.ok:
        render.out.print(f"[green]✓[/green] {escape(report.describe())}", markup=True)
        return
    head, *blocks = report.describe().split("\n\n")
    render.out.print(f"[red]✗[/red] {escape(head)}", markup=True)
    for block in blocks:
        for line in block.splitlines():
            body = line.strip()
            style = "red" if body.startswith("-") else "green" if body.startswith("+") else ""
            text = escape(line)
            render.out.print(f"[{style}]{text}[/{style}]" if style else text, markup=True)
        render.out.print("")


def replay_cmd(
    session: Annotated[Path, typer.Argument(help="A session file written by `mcpgen record`.")],
    workspace: Workspace = Path("."),
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore",
            help="JSON path to leave out of the comparison (repeatable): /result/content/0/text, "
            "* one segment, ** any depth, e.g. /**/timestamp.",
        ),
    ] = None,
    no_default_ignore: Annotated[
        bool, typer.Option("--no-default-ignore", help="Compare the server version and request ids too.")
    ] = False,
    header: Annotated[
        list[str] | None,
        typer.Option("--header", "-H", help="Add a header to every request: 'Authorization: Bearer …'."),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option("--url", help="Replay against this running server's /mcp endpoint instead of WS."),
    ] = None,
    overrides: Overrides = None,
    env: EnvName = None,
    json_out: JsonFlag = False,
) -> None:
    """Replay a recorded session against a fresh server and diff the answers; exit 1 if any differ."""
    headers: dict[str, str] = {}
    for item in header or []:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"--header {item!r}: expected 'Name: value'")
        headers[name.strip()] = value.strip()
    from mcpgen.workflows.sessions import replay

    report = replay(
        session,
        workspace,
        ignore=ignore or (),
        default_ignore=not no_default_ignore,
        headers=headers,
        overrides=tuple(overrides or ()),
        env=env,
        url=url,
    )
    if json_out:
        render.print_json(report.to_json())
    else:
        _render_replay(report)
    if not report.ok:
        raise typer.Exit(1)
