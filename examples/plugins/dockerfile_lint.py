"""Dockerfile linter: checks the rendered Dockerfile (with what other plugins added) before the build.

Copy this file into your workspace's ``plugins/`` folder; it runs on ``mcpgen build``
(and ``--dry-run``). Rules, each a diagnostic on a line of ``Dockerfile``:

====================== ======== ===========================================================
code                   severity what
====================== ======== ===========================================================
dockerfile-root-user   warning  the final stage runs as root (no ``USER``, or ``USER root``/``0``)
dockerfile-secret      error    an ``ENV`` or ``ARG`` with a secret-looking name has a value
dockerfile-unpinned    warning  a ``FROM`` image has no tag, or ``:latest`` (or no digest, with
                                ``require_digest``)
dockerfile-healthcheck warning  the final stage has no ``HEALTHCHECK`` (or ``HEALTHCHECK NONE``)
====================== ======== ===========================================================

Settings (``plugins.settings.dockerfile_lint``): ``strict: true`` makes every finding an
error (the build stops); ``require_digest: true`` wants ``FROM image@sha256:...``;
``ignore: [dockerfile-unpinned]`` turns rules off.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mcpgen.discovery import Diagnostic
from mcpgen.plugins import PluginContext, hookimpl

__version__ = "1.0"
PATH = "Dockerfile"
SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.IGNORECASE)


def instructions(text: str) -> Iterator[tuple[int, str, str]]:
    """(line number, INSTRUCTION, arguments) with continuation lines joined and comments skipped."""
    start, parts = 0, []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not parts and (not line or line.startswith("#")):
            continue
        if not parts:
            start = number
        if line.startswith("#"):
            continue
        parts.append(line.removesuffix("\\").strip())
        if not line.endswith("\\"):
            keyword, _, args = " ".join(parts).partition(" ")
            yield start, keyword.upper(), args.strip()
            parts = []


def _pairs(args: str) -> Iterator[tuple[str, str | None]]:
    """``ENV``/``ARG`` arguments as (name, value or None): ``A=1 B="x y"``, ``A 1`` (old form), ``A``."""
    if "=" not in args.split(" ", 1)[0]:
        name, _, value = args.partition(" ")
        yield name, value or None
        return
    for match in re.finditer(r'([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)', args):
        yield match.group(1), match.group(2).strip('"')


def lint(text: str, settings: Any = None) -> list[Diagnostic]:
    """Every finding in the Dockerfile ``text`` (see the module docstring)."""
    settings = settings or {}
    ignore = set(settings.get("ignore", ()))
    strict = bool(settings.get("strict", False))
    found: list[Diagnostic] = []

    def report(code: str, line: int, message: str, severity: str = "warning") -> None:
        if code not in ignore:
            found.append(Diagnostic("error" if strict else severity, code, message, PATH, line))  # type: ignore[arg-type]

    stages: set[str] = set()
    user: tuple[int, str] | None = None
    health: tuple[int, str] | None = None
    final_from = 0
    for line, keyword, args in instructions(text):
        if keyword == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            image = words[0] if words else ""
            if len(words) >= 3 and words[1].upper() == "AS":
                stages.add(words[2])
            user, health, final_from = None, None, line
            if image in stages or image == "scratch":
                continue
            name = image.rsplit("/", 1)[-1]
            if "@" not in image and (":" not in name or name.endswith(":latest")):
                report("dockerfile-unpinned", line, f"base image {image!r} is not pinned to a version tag")
            elif "@" not in image and settings.get("require_digest"):
                report(
                    "dockerfile-unpinned",
                    line,
                    f"base image {image!r} is not pinned to a digest (@sha256:...)",
                )
        elif keyword == "USER":
            user = (line, args.split(":", 1)[0])
        elif keyword == "HEALTHCHECK":
            health = (line, args)
        elif keyword in ("ENV", "ARG"):
            for name, value in _pairs(args):
                if value and SECRET_NAME.search(name):
                    report(
                        "dockerfile-secret",
                        line,
                        f"{keyword} {name} holds a literal value: a secret in an image layer is readable by "
                        "anyone who pulls it (pass it at run time: `mcpgen secrets set` and ${NAME} in config)",
                        "error",
                    )
    if user is None or user[1] in ("root", "0"):
        report(
            "dockerfile-root-user",
            user[0] if user else final_from,
            "the final stage runs as root; add USER with a non-root user",
        )
    if health is None or health[1].upper().startswith("NONE"):
        report(
            "dockerfile-healthcheck",
            health[0] if health else final_from,
            "the final stage has no HEALTHCHECK",
        )
    return found


@hookimpl
def mcpgen_check_dockerfile(context: PluginContext, dockerfile: str) -> list[Diagnostic]:
    return lint(dockerfile, context.settings)
