"""Dockerfile instructions plugins add, as typed values (never text spliced into the template).

A plugin's ``mcpgen_dockerfile`` hook gets a :class:`DockerfileAdditions` and
calls ``add(point, *instructions)``. Each instruction renders itself to one
Dockerfile line; every value is checked for newlines and other control
characters (which could start a new instruction) and quoted where the
Dockerfile syntax allows. The points, in the order they appear in the file:

=============== =================================================================================
``deps``        end of stage 1 (the dependency venv), as root: e.g. ``RUN`` a build step
``system``      stage 2 before the venv and the app are copied, as root: e.g. ``RUN apt-get ...``
``before_user`` stage 2 after the app files are copied, still root
``final``       after ``USER``: as the server's non-root user, before ``EXPOSE``/``HEALTHCHECK``
=============== =================================================================================
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

from mcpgen.errors import UsageError

Point = Literal["deps", "system", "before_user", "final"]
POINTS: tuple[Point, ...] = get_args(Point)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


def _line(what: str, value: str) -> str:
    if _CONTROL.search(value):
        raise UsageError(f"{what} {value[:60]!r} contains a newline or another control character")
    if not value.strip():
        raise UsageError(f"{what} is empty")
    return value


def _quoted(value: str) -> str:
    """A double-quoted Dockerfile string (backslash, quote and ``$`` escaped)."""
    text = _line("value", value) if value else value
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def _name(what: str, value: str, pattern: re.Pattern[str] = _NAME) -> str:
    if not pattern.match(value):
        raise UsageError(f"{what} {value[:60]!r} is not a valid name (letters, digits, _)")
    return value


@dataclass(frozen=True)
class Run:
    """``RUN``: a shell command (one line), or ``argv`` for the exec form."""

    command: str | Sequence[str]

    def render(self) -> str:
        if isinstance(self.command, str):
            return f"RUN {_line('RUN command', self.command)}"
        return "RUN " + json.dumps([_line("RUN argument", str(a)) for a in self.command])


@dataclass(frozen=True)
class Env:
    """``ENV NAME="value" ...`` (values quoted; ``$`` is literal). Never put a secret here."""

    values: Mapping[str, str]

    def render(self) -> str:
        pairs = [f"{_name('ENV name', k)}={_quoted(str(v))}" for k, v in sorted(self.values.items())]
        if not pairs:
            raise UsageError("ENV needs at least one variable")
        return "ENV " + " ".join(pairs)


@dataclass(frozen=True)
class Arg:
    """``ARG NAME`` or ``ARG NAME="default"``."""

    name: str
    default: str | None = None

    def render(self) -> str:
        text = f"ARG {_name('ARG name', self.name)}"
        return text if self.default is None else f"{text}={_quoted(self.default)}"


@dataclass(frozen=True)
class Label:
    """``LABEL key="value"``."""

    key: str
    value: str

    def render(self) -> str:
        return f"LABEL {_name('LABEL key', self.key, _LABEL)}={_quoted(self.value)}"


@dataclass(frozen=True)
class Copy:
    """``COPY [--from=stage] [--chown=...] src... dest``: ``src`` must be in the build context or ``from_stage``."""

    sources: Sequence[str]
    dest: str
    from_stage: str | None = None
    chown: str | None = None

    def render(self) -> str:
        if not self.sources:
            raise UsageError("COPY needs at least one source")
        flags = [f"--from={_line('COPY --from', self.from_stage)}"] if self.from_stage else []
        flags += [f"--chown={_line('COPY --chown', self.chown)}"] if self.chown else []
        paths = [_line("COPY path", p) for p in (*self.sources, self.dest)]
        return " ".join(["COPY", *flags, json.dumps(paths)])


@dataclass(frozen=True)
class Workdir:
    path: str

    def render(self) -> str:
        return f"WORKDIR {_line('WORKDIR', self.path)}"


@dataclass(frozen=True)
class User:
    """``USER``: switching user; the server itself always runs as the non-root user set after ``before_user``."""

    user: str

    def render(self) -> str:
        return f"USER {_line('USER', self.user)}"


@dataclass(frozen=True)
class Expose:
    port: int
    protocol: Literal["tcp", "udp"] = "tcp"

    def render(self) -> str:
        if not 0 < self.port < 65536:
            raise UsageError(f"EXPOSE port {self.port} is not between 1 and 65535")
        return f"EXPOSE {self.port}/{self.protocol}"


@dataclass(frozen=True)
class Comment:
    text: str

    def render(self) -> str:
        return f"# {_line('comment', self.text)}"


Instruction = Run | Env | Arg | Label | Copy | Workdir | User | Expose | Comment


@dataclass
class DockerfileAdditions:
    """Instructions added at each :data:`Point`, in the order plugins added them, with who added them."""

    added: list[tuple[Point, str, Instruction]] = field(default_factory=list)
    plugin: str = ""
    """The plugin adding now (set by the caller before each plugin's hook)."""

    def add(self, point: Point, *instructions: Instruction) -> None:
        """Add ``instructions`` at ``point``; each is rendered (and checked) now, so a bad value fails here."""
        if point not in POINTS:
            raise UsageError(f"unknown Dockerfile point {point!r}; one of {', '.join(POINTS)}")
        for instruction in instructions:
            if not isinstance(instruction, Instruction):
                raise UsageError(
                    f"{instruction!r} is not a Dockerfile instruction (use mcpgen.plugins.dockerfile: "
                    "Run, Env, Arg, Label, Copy, Workdir, User, Expose, Comment)"
                )
            instruction.render()
            self.added.append((point, self.plugin, instruction))

    def lines(self) -> dict[str, list[str]]:
        """Point → rendered lines, each plugin's group under a ``# added by plugin NAME`` comment."""
        out: dict[str, list[str]] = {p: [] for p in POINTS}
        last: dict[str, str | None] = {p: None for p in POINTS}
        for point, plugin, instruction in self.added:
            if plugin and last[point] != plugin:
                out[point].append(f"# added by plugin {plugin}")
                last[point] = plugin
            out[point].append(instruction.render())
        return out
