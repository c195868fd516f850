"""The ``mcpgen`` command: this module only assembles it.

Each command lives in a ``*_cmds`` module (parse, call a workflow, render);
they share :mod:`mcpgen.cli._common` (global flags, common options) and
:mod:`mcpgen.cli.render`, and never import this module. Failures become
messages and exit codes in one place, :mod:`mcpgen.cli.errors`. Exit codes:
0 ok, 1 errors, 2 usage, 130 interrupted.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mcpgen._version import __version__
from mcpgen.cli import (
    build_cmds,
    clients_cmds,
    config_cmds,
    conformance_cmds,
    credentials_cmds,
    deploy_cmds,
    doctor_cmds,
    harness_cmds,
    keys_cmds,
    loadtest_cmds,
    plugins_cmds,
    secrets_cmds,
    serve_cmds,
    workspace_cmds,
)
from mcpgen.cli._common import state
from mcpgen.cli.errors import EXIT_INTERRUPTED
from mcpgen.cli.root import RootGroup
from mcpgen.runtime.logs import configure_logging

app = typer.Typer(
    name="mcpgen",
    help="Turn a folder of Python tools into a production MCP server.",
    cls=RootGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mcpgen {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    quiet: Annotated[
        bool, typer.Option("-q", "--quiet", help="Only print errors (also after the command).")
    ] = False,
    verbose: Annotated[
        int, typer.Option("-v", "--verbose", count=True, help="Debug output (also after the command).")
    ] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    state.quiet = quiet
    state.verbosity = verbose
    configure_logging("error" if quiet else "debug" if verbose else "info")


# The commands, in the order `mcpgen --help` lists them (groups come last).
app.command("init")(workspace_cmds.init_cmd)
app.command("validate")(workspace_cmds.validate_cmd)
app.command("list-tools")(workspace_cmds.list_tools_cmd)
app.command("ls", hidden=True)(workspace_cmds.ls_cmd)
app.command("manifest")(workspace_cmds.manifest_cmd)
app.command("build")(build_cmds.build_cmd)
app.command("run")(build_cmds.run_cmd)
app.command("images")(build_cmds.images_cmd)
app.command("generate")(config_cmds.generate_cmd)
app.command("conformance")(conformance_cmds.conformance_cmd)
app.command("credentials")(credentials_cmds.credentials_cmd)
app.command("doctor")(doctor_cmds.doctor_cmd)
app.command("dev")(serve_cmds.dev_cmd)
app.command("serve")(serve_cmds.serve_cmd)
app.command("install")(clients_cmds.install_cmd)
app.command("pack")(clients_cmds.pack_cmd)
app.command("loadtest")(loadtest_cmds.loadtest_cmd)
app.command("test")(harness_cmds.run_tests_cmd)
app.command("record")(harness_cmds.record_cmd)
app.command("replay")(harness_cmds.replay_cmd)
app.add_typer(config_cmds.config_app, name="config")
app.add_typer(secrets_cmds.secrets_app, name="secrets")
app.add_typer(keys_cmds.keys_app, name="keys")
app.add_typer(deploy_cmds.deploy_app, name="deploy")
app.add_typer(plugins_cmds.plugins_app, name="plugins")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # before a command runs (while importing, parsing)
        sys.exit(EXIT_INTERRUPTED)
