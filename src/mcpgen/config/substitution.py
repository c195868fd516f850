"""``${VAR}`` substitution in config values, as a pure function over plain data.

Grammar, inside any string value (keys are never substituted):

- ``${NAME}``: the value of ``NAME``; an error if ``NAME`` is not set.
- ``${NAME:-default}``: the value of ``NAME``, or ``default`` when it is unset
  or empty (as in the shell). The default runs to the matching ``}``, may
  contain ``:-`` (``${A:-x:-y}`` defaults to ``x:-y``) and may itself contain
  references (``${A:-${B:-c}}``).
- ``$${...}``: a literal ``${...}``; nothing inside is expanded.

Substituted values are never expanded again, so a variable holding ``${X}``
yields the text ``${X}``. Problems are collected (every unset variable, with
the key path it was used at) and never include a value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Problem:
    """A reference that cannot be expanded: ``key`` is the dotted key path, ``message`` says why."""

    key: str
    message: str
    variable: str | None = None
    """The unset variable, when that is the problem (``${NAME}`` without a default)."""


class _Invalid(Exception):
    """A malformed or unresolvable reference inside one string."""


class _Parser:
    def __init__(self, text: str, environ: Mapping[str, str]) -> None:
        self.text = text
        self.environ = environ
        self.pos = 0
        self.missing: list[str] = []

    def expand(self, *, until_brace: bool = False) -> str:
        """Expand from ``pos`` to the end (or to the ``}`` closing the enclosing reference)."""
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if until_brace and char == "}":
                return "".join(out)
            if text.startswith("$${", self.pos):
                self.pos += 3
                out.append("${")
                out.append(self._literal_body())
            elif text.startswith("${", self.pos):
                self.pos += 2
                out.append(self._reference())
            else:
                out.append(char)
                self.pos += 1
        if until_brace:
            raise _Invalid("unterminated ${ (missing })")
        return "".join(out)

    def _literal_body(self) -> str:
        """Copy an escaped ``$${...}`` body verbatim, up to and including its matching ``}``."""
        depth, start = 1, self.pos
        while self.pos < len(self.text):
            if self.text.startswith("${", self.pos):
                depth += 1
                self.pos += 2
                continue
            if self.text[self.pos] == "}":
                depth -= 1
                if depth == 0:
                    self.pos += 1
                    return self.text[start : self.pos]
            self.pos += 1
        return self.text[start:]  # an unterminated escape is kept as written

    def _reference(self) -> str:
        match = _NAME.match(self.text, self.pos)
        if match is None:
            raise _Invalid("expected a variable name after ${")
        name = match.group()
        self.pos = match.end()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            if name not in self.environ:
                self.missing.append(name)
                return ""
            return self.environ[name]
        if self.text.startswith(":-", self.pos):
            self.pos += 2
            value = self.environ.get(name, "")
            if value:
                self._skip_default()
                return value
            default = self.expand(until_brace=True)
            self.pos += 1
            return default
        raise _Invalid(
            f"expected }} or :- after ${{{name} (only ${{NAME}} and ${{NAME:-default}} are supported)"
        )

    def _skip_default(self) -> None:
        """Skip an unused default, checking it is terminated; variables in it are not looked up."""
        depth = 1
        while self.pos < len(self.text):
            if self.text.startswith("$${", self.pos):
                self.pos += 3
                self._literal_body()
                continue
            if self.text.startswith("${", self.pos):
                depth += 1
                self.pos += 2
                continue
            if self.text[self.pos] == "}":
                depth -= 1
                self.pos += 1
                if depth == 0:
                    return
                continue
            self.pos += 1
        raise _Invalid("unterminated ${ (missing })")


def expand_string(text: str, environ: Mapping[str, str]) -> tuple[str, list[str]]:
    """Expand one string; returns the result and the names of unset variables without a default.

    Raises ``ValueError`` for a malformed reference.
    """
    if "$" not in text:
        return text, []
    parser = _Parser(text, environ)
    try:
        result = parser.expand()
    except _Invalid as exc:
        raise ValueError(str(exc)) from None
    return result, parser.missing


def substitute(
    data: Any, environ: Mapping[str, str], path: tuple[str, ...] = ()
) -> tuple[Any, list[Problem]]:
    """Expand every string in ``data`` (recursively through maps and lists); collect every problem."""
    problems: list[Problem] = []

    def visit(value: Any, at: tuple[str, ...]) -> Any:
        if isinstance(value, dict):
            return {key: visit(item, (*at, str(key))) for key, item in value.items()}
        if isinstance(value, list):
            return [visit(item, (*at, str(index))) for index, item in enumerate(value)]
        if not isinstance(value, str):
            return value
        key = ".".join(at)
        try:
            result, missing = expand_string(value, environ)
        except ValueError as exc:
            problems.append(Problem(key, f"invalid ${{...}} reference: {exc}"))
            return value
        for name in missing:
            problems.append(
                Problem(key, f"environment variable {name} is not set and has no default", variable=name)
            )
        return result

    return visit(data, path), problems
