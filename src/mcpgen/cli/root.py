"""The ``mcpgen`` group itself: global flags accepted after the subcommand too.

``mcpgen validate WS -q`` means ``mcpgen -q validate WS``: before parsing, the
global flags (``-q``/``--quiet``, ``-v``/``-vv``/``--verbose``) found after
the subcommand are moved in front of it, unless the subcommand has an option
of that name or the token is the value of one of its options, or comes after
``--``.
"""

from __future__ import annotations

import re
from typing import Any

from mcpgen.cli.errors import Group

_GLOBAL = re.compile(r"^(-q|--quiet|--verbose|-v+)$")


def _options(command: Any) -> tuple[set[str], set[str]]:
    """The command's option names: all of them, and those that take a value."""
    names: set[str] = set()
    valued: set[str] = set()
    for param in getattr(command, "params", ()):
        opts = [*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())]
        if not all(opt.startswith("-") for opt in opts):
            continue  # an argument
        names.update(opts)
        if not getattr(param, "is_flag", False) and not getattr(param, "count", False):
            valued.update(opts)
    return names, valued


def hoist_global_flags(group: Any, ctx: Any, args: list[str]) -> list[str]:
    """``args`` with the global flags given after the (sub)command moved in front of it."""
    hoisted: list[str] = []
    rest: list[str] = []
    command: Any = group
    names, valued = _options(group)
    tokens = iter(args)
    resolving = True
    for token in tokens:
        if token == "--":
            rest.append(token)
            rest.extend(tokens)
            break
        if resolving and not token.startswith("-") and hasattr(command, "get_command"):
            found = command.get_command(ctx, token)
            if found is None:
                resolving = False
            else:
                command = found
                names, valued = _options(command)
            rest.append(token)
        elif command is not group and _GLOBAL.match(token) and token not in names:
            hoisted.append(token)
        else:
            rest.append(token)
            value = next(tokens, None) if token in valued else None
            if value is not None:
                rest.append(value)
            elif not token.startswith("-"):
                resolving = False
    return [*hoisted, *rest]


class RootGroup(Group):
    """The ``mcpgen`` group (see the module docstring)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_flags(self, ctx, args))
