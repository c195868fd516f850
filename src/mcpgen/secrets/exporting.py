"""Render secrets as environment assignments that parse back to the exact values.

* ``dotenv``: ``NAME='value'``. Single quotes, inside which ``\\`` and ``'``
  are escaped with a backslash and newlines are kept literally: the quoting
  python-dotenv's own ``set_key`` writes. Docker Compose reads single-quoted
  values literally; python-dotenv expands ``${VAR}`` even inside single quotes
  (it has no escape for it), so read such values with ``interpolate=False``.
* ``shell``: ``export NAME='value'`` in POSIX quoting (``'`` becomes ``'\\''``),
  safe to ``eval`` in sh, bash and zsh.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from mcpgen.errors import UsageError
from mcpgen.secrets.document import check_name

ExportFormat = Literal["dotenv", "shell"]


def dotenv_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def render_env(values: Mapping[str, str], *, format: ExportFormat = "dotenv") -> str:
    """One assignment per line, sorted by name, ending with a newline (empty text for no values)."""
    if format not in ("dotenv", "shell"):
        raise UsageError(f"unknown export format {format!r}: use 'dotenv' or 'shell'")
    lines = []
    for name in sorted(values):
        check_name(name)
        if format == "shell":
            lines.append(f"export {name}={shell_quote(values[name])}")
        else:
            lines.append(f"{name}={dotenv_quote(values[name])}")
    return "".join(line + "\n" for line in lines)
