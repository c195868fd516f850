"""``mcpgen credentials``: prompt for (or, with ``--no-input``, resolve) a workspace's credentials.

Prompts (questionary) and the summary before "Proceed?" go to stderr when it
is a terminal, so ``--json`` output on stdout stays clean.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import questionary
import typer
from prompt_toolkit.application import create_app_session
from prompt_toolkit.output import create_output
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mcpgen.cli import render
from mcpgen.cli._common import JsonFlag, Workspace, state
from mcpgen.errors import UsageError
from mcpgen.workflows.credentials import Outcome, Question, Resolution, configure


def stdin_is_tty() -> bool:
    """Whether prompts can be answered (tests replace this)."""
    return sys.stdin.isatty()


@contextmanager
def prompts_on_stderr() -> Iterator[None]:
    """Draw prompts on stderr when it is a terminal (stdout may be piped for --json)."""
    if sys.stderr.isatty():
        with create_app_session(output=create_output(stdout=sys.stderr)):
            yield
    else:
        yield


def _validator(question: Question) -> object:
    def validate(answer: str) -> bool | str:
        problem = question.check(answer)
        return True if problem is None else problem

    return validate


def summary_table(resolution: Resolution) -> Table:
    table = Table(header_style="bold", title="Credentials")
    table.add_column("Name", style="cyan", no_wrap=True)
    table.add_column("Value", no_wrap=True)
    table.add_column("Required", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Declared by", style="dim", overflow="fold")
    for entry in resolution.entries:
        source = f" ({entry.source})" if entry.source else ""
        table.add_row(
            entry.name,
            entry.shown,
            "yes" if entry.credential.required else "no",
            entry.status + source,
            ", ".join(entry.credential.declared_by),
        )
    return table


class QuestionaryPrompter:
    """The interactive :class:`~mcpgen.workflows.credentials.Prompter`: one questionary prompt per question."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def ask(self, question: Question) -> str:
        validate = _validator(question)
        if question.style == "choice":
            choices = list(question.credential.choices or [])
            default = question.default.get_secret_value() if question.default else None
            answer = questionary.select(question.message, choices=choices, default=default).unsafe_ask()
        elif question.style == "secret":
            answer = questionary.password(question.message, validate=validate).unsafe_ask()
        else:
            default = question.default.get_secret_value() if question.default else ""
            answer = questionary.text(question.message, default=default, validate=validate).unsafe_ask()
        if answer is None:  # questionary's own way of saying "interrupted"
            raise KeyboardInterrupt
        return str(answer)

    def confirm(self, resolution: Resolution) -> bool:
        self.console.print(summary_table(resolution))
        answer = questionary.confirm("Proceed?", default=True).unsafe_ask()
        if answer is None:
            raise KeyboardInterrupt
        return bool(answer)

    def passphrase(self) -> str:
        answer = questionary.password("Secret store passphrase").unsafe_ask()
        if answer is None:
            raise KeyboardInterrupt
        return str(answer)


def _render(outcome: Outcome, json_out: bool) -> None:
    if json_out:
        render.print_json(outcome.data())
        return
    if state.quiet:
        return
    res = outcome.resolution
    if not res.entries:
        render.out.print(f"No credentials are declared in {outcome.workspace}.")
        return
    if outcome.declined:
        render.out.print("Not saved (you answered no).")
        return
    parts = [f"{len(outcome.written)} stored"]
    if kept := res.names("kept"):
        parts.append(f"{len(kept)} unchanged")
    if skipped := res.names("skipped"):
        parts.append(f"skipped optional: {', '.join(skipped)}")
    if inactive := res.names("inactive"):
        parts.append(f"not needed: {', '.join(inactive)}")
    render.out.print(f"[green]✓[/green] {escape('; '.join(parts))}", markup=True)
    if outcome.store_path is not None and outcome.saved:
        render.out.print(f"  in {outcome.store_path}", style="dim")
    if outcome.key is not None:
        render.new_store_notice(outcome.key)


def credentials_cmd(
    workspace: Workspace = Path("."),
    no_input: Annotated[
        bool,
        typer.Option("--no-input", help="Never prompt: take values from the environment / --env-file (CI)."),
    ] = False,
    env_file: Annotated[
        Path | None,
        typer.Option("--env-file", help="A dotenv file with values (KEY=value); the environment wins."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Ask for the credentials the workspace's tools declare and store them encrypted in .mcpgen/."""
    prompter: QuestionaryPrompter | None = None
    if not no_input:
        if not stdin_is_tty():
            raise UsageError(
                "stdin is not a terminal, so credentials cannot be prompted for",
                hint="pass --no-input to take them from the environment or --env-file FILE",
            )
        prompter = QuestionaryPrompter(render.err)
    with prompts_on_stderr():
        outcome = configure(
            workspace,
            environ=os.environ,
            prompter=prompter,
            env_file=env_file,
            passphrase=prompter.passphrase if prompter is not None else None,
        )
    _render(outcome, json_out)
    if outcome.declined:
        raise typer.Exit(1)
