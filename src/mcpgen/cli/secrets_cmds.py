"""``mcpgen secrets``: set, get, list, rm, rotate and export-env for the encrypted store in ``.mcpgen/``.

No command prints a secret value except ``get --reveal`` and ``export-env``;
everything else shows masked values (``sk…z9``). ``export-env`` refuses to
write to a terminal without ``--force`` (redirect it to a file or ``eval`` it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Literal

import questionary
import typer
from rich.markup import escape
from rich.table import Table

from mcpgen.cli import render
from mcpgen.cli._common import BackupFile, JsonFlag, ReplaceFile, WorkspaceOpt, state
from mcpgen.cli.errors import Group, show_error
from mcpgen.errors import SecretStoreError, UsageError
from mcpgen.secrets import SecretStore, mask
from mcpgen.workflows.credentials import ENV_NAME, key_data, open_store, store_path

secrets_app = typer.Typer(
    name="secrets",
    help="Manage the encrypted secret store (.mcpgen/) of a workspace.",
    cls=Group,
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(help="Secret name (an environment variable name, e.g. API_KEY).")]


def stdin_is_tty() -> bool:
    """Whether we may prompt (tests replace this)."""
    return sys.stdin.isatty()


def stdout_is_tty() -> bool:
    """Whether stdout is a terminal (tests replace this)."""
    return sys.stdout.isatty()


def _passphrase() -> str:
    answer = questionary.password("Secret store passphrase").unsafe_ask()
    if answer is None:
        raise KeyboardInterrupt
    return str(answer)


def _store(workspace: Path, *, create: bool = True) -> SecretStore:
    """Open the store; prompt for a passphrase only when someone can answer."""
    return open_store(
        workspace,
        environ=os.environ,
        passphrase=_passphrase if stdin_is_tty() else None,
        create=create,
    )


def _check_name(name: str) -> None:
    if not ENV_NAME.match(name):
        raise UsageError(
            f"{name!r} is not a valid secret name (letters, digits and _, not starting with a digit)"
        )


def _read_value(name: str, value: str | None) -> str:
    if value is not None:
        render.err.print(
            "[yellow]warning:[/yellow] a value on the command line lands in your shell history; "
            f"pipe it instead (`… | mcpgen secrets set {escape(name)}`) or leave it out to be prompted",
            markup=True,
            highlight=False,
        )
        return value
    if not stdin_is_tty():
        text = sys.stdin.read()
        return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text
    answer = questionary.password(f"{name}").unsafe_ask()
    if answer is None:
        raise KeyboardInterrupt
    return str(answer)


@secrets_app.command("set")
def set_cmd(
    name: NameArg,
    value: Annotated[
        str | None,
        typer.Argument(help="The value (better: pipe it on stdin, or leave it out to be prompted)."),
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    json_out: JsonFlag = False,
) -> None:
    """Store a secret (value from the argument, stdin when piped, or a masked prompt)."""
    _check_name(name)
    secret = _read_value(name, value)
    if not secret:
        raise UsageError(f"empty value for {name}; nothing was saved (use `mcpgen secrets rm {name}`)")
    store = _store(workspace)
    existed = store.get(name) is not None
    store.set(name, secret)
    created = key_data(store.key_info) if store.created else None
    if json_out:
        render.print_json({"name": name, "store": str(store.path), "replaced": existed, "newStore": created})
        return
    if not state.quiet:
        render.out.print(f"{'replaced' if existed else 'stored'} {name} in {store.path}")
    if store.created:
        render.new_store_notice(store.key_info)


@secrets_app.command("get")
def get_cmd(
    name: NameArg,
    reveal: Annotated[bool, typer.Option("--reveal", help="Print the value itself (not masked).")] = False,
    workspace: WorkspaceOpt = Path("."),
    json_out: JsonFlag = False,
) -> None:
    """Show a secret, masked unless --reveal."""
    _check_name(name)
    secret = _store(workspace, create=False).get(name)
    if secret is None:
        raise SecretStoreError(f"no secret named {name} in the store", name=name)
    shown = secret if reveal else mask(secret)
    if json_out:
        render.print_json({"name": name, "value": shown, "revealed": reveal})
    else:
        sys.stdout.write(shown + "\n")
        sys.stdout.flush()


@secrets_app.command("list")
def list_cmd(workspace: WorkspaceOpt = Path("."), json_out: JsonFlag = False) -> None:
    """List secret names with masked values."""
    path = store_path(workspace)
    items = _store(workspace, create=False).items() if path.exists() else {}
    rows = [{"name": name, "value": mask(items[name])} for name in sorted(items)]
    if json_out:
        render.print_json({"store": str(path), "exists": path.exists(), "secrets": rows})
        return
    if not rows:
        render.out.print(f"No secrets in {path}.")
        return
    table = Table(header_style="bold")
    table.add_column("Name", style="cyan", no_wrap=True)
    table.add_column("Value", no_wrap=True)
    for row in rows:
        table.add_row(row["name"], row["value"])
    render.out.print(table)


@secrets_app.command("rm")
def rm_cmd(name: NameArg, workspace: WorkspaceOpt = Path("."), json_out: JsonFlag = False) -> None:
    """Remove a secret (exit 1 when there is none by that name)."""
    _check_name(name)
    store = _store(workspace, create=False)
    removed = store.remove(name)
    if json_out:
        render.print_json({"name": name, "removed": removed})
    elif removed and not state.quiet:
        render.out.print(f"removed {name}")
    if not removed:  # the JSON above is the answer; the error is for people
        show_error(SecretStoreError(f"no secret named {name} in the store", name=name))
        raise typer.Exit(1)


def _new_passphrase() -> str:
    first = questionary.password("New passphrase").unsafe_ask()
    second = questionary.password("New passphrase (again)").unsafe_ask()
    if first is None or second is None:
        raise KeyboardInterrupt
    if first != second:
        raise UsageError("the passphrases do not match; nothing was changed")
    if not first:
        raise UsageError("the new passphrase is empty; nothing was changed")
    return str(first)


@secrets_app.command("rotate")
def rotate_cmd(
    passphrase: Annotated[
        bool,
        typer.Option("--passphrase", help="Protect the store with a new passphrase (prompted) from now on."),
    ] = False,
    workspace: WorkspaceOpt = Path("."),
    json_out: JsonFlag = False,
) -> None:
    """Re-encrypt every secret under a new key (shows the new key once if it came from MCPGEN_SECRET_KEY)."""
    if passphrase and not stdin_is_tty():
        raise UsageError("--passphrase needs a terminal to prompt for the new passphrase")
    store = _store(workspace, create=False)
    result = store.rotate(new_passphrase=_new_passphrase() if passphrase else None)
    new_key = result.new_key.get_secret_value() if result.new_key is not None else None
    pending = str(result.pending_key_file) if result.pending_key_file else None
    if json_out:
        render.print_json(
            {
                "store": str(store.path),
                "count": result.count,
                "oldKeyId": result.old_key_id,
                "newKeyId": result.new_key_id,
                "key": key_data(result.key),
                "newKey": new_key,
                "pendingKeyFile": pending,
                "oldKeyRemoved": result.old_key_removed,
            }
        )
    elif not state.quiet or new_key:
        render.out.print(
            f"rotated {result.count} secret(s) in {store.path}: key {result.old_key_id} → {result.new_key_id} "
            f"({result.key.source})"
        )
        if new_key is not None:
            render.out.print(
                "The old key came from MCPGEN_SECRET_KEY, which mcpgen cannot change. New key "
                "(shown only this once):"
            )
            sys.stdout.write(new_key + "\n")
            sys.stdout.flush()
            render.out.print(
                f"Set MCPGEN_SECRET_KEY to it wherever the store is used, then delete {pending} "
                "(a copy kept until you do)."
            )
    if not result.old_key_removed:
        render.err.print(
            "[yellow]warning:[/yellow] the old key could not be removed from where it is kept; "
            "it no longer opens the store (rotate again to retry the cleanup)",
            markup=True,
            highlight=False,
        )


@secrets_app.command("export-env")
def export_env_cmd(
    format_: Annotated[
        str, typer.Option("--format", help="dotenv (KEY=value) or shell (export KEY=...).")
    ] = "dotenv",
    force: Annotated[bool, typer.Option("--force", help="Print to a terminal anyway.")] = False,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Print every secret as dotenv or shell exports to stdout (redirect it; a terminal needs --force)."""
    if format_ not in ("dotenv", "shell"):
        raise UsageError(f"--format must be dotenv or shell, not {format_!r}")
    if stdout_is_tty() and not force:
        raise UsageError(
            "refusing to print secrets to a terminal; redirect stdout "
            "(`mcpgen secrets export-env > .env`) or pass --force"
        )
    fmt: Literal["dotenv", "shell"] = "shell" if format_ == "shell" else "dotenv"
    text = _store(workspace, create=False).export_env(format=fmt)
    sys.stdout.write(text if not text or text.endswith("\n") else text + "\n")
    sys.stdout.flush()


@secrets_app.command("backup")
def backup_cmd(
    file: BackupFile,
    force: ReplaceFile = False,
    workspace: WorkspaceOpt = Path("."),
    json_out: JsonFlag = False,
) -> None:
    """Write the store to FILE, still encrypted under its key (back the key up separately)."""
    from mcpgen.workflows.backup import backup_secrets

    passphrase = _passphrase if stdin_is_tty() else None
    written = backup_secrets(workspace, file, environ=os.environ, passphrase=passphrase, force=force)
    if json_out:
        render.print_json({"file": str(written.path), "count": written.count})
    elif not state.quiet:
        render.out.print(f"backed up {written.count} secret(s) to {written.path} (encrypted; mode 0600)")


@secrets_app.command("restore")
def restore_cmd(file: BackupFile, workspace: WorkspaceOpt = Path("."), json_out: JsonFlag = False) -> None:
    """Replace the store with a backup, after checking its integrity and that a key you have opens it."""
    from mcpgen.workflows.backup import restore_secrets

    passphrase = _passphrase if stdin_is_tty() else None
    result = restore_secrets(workspace, file, environ=os.environ, passphrase=passphrase)
    if json_out:
        render.print_json(
            {
                "store": str(result.path),
                "count": result.count,
                "replaced": result.replaced,
                "key": key_data(result.key),
            }
        )
    elif not state.quiet:
        render.out.print(
            f"restored {result.count} secret(s) into {result.path} (key {result.key.key_id} from {result.key.source})"
        )
