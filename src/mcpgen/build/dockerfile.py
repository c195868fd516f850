"""Dockerfile rendering: a pure function of a :class:`DockerfileSpec` (Jinja2, StrictUndefined)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import jinja2

from mcpgen.errors import UsageError
from mcpgen.plugins.dockerfile import POINTS

VENV = "/opt/mcpgen/venv"
APP = "/app"


@dataclass(frozen=True)
class DockerfileSpec:
    base_image: str
    python: str
    offline: bool
    needs_node: bool
    source_dirs: Sequence[str]
    labels: Mapping[str, str]
    port: int = 8080
    uid: int = 10001
    server_name: str = ""
    server_version: str = ""
    mcpgen_version: str = ""
    venv: str = VENV
    app: str = APP
    extra: Mapping[str, str] = field(default_factory=dict)
    project_file: bool = False
    """Copy ``mcpgen.yaml`` to ``/app`` (name, version: what ``mcpgen dev`` in the container reads)."""
    additions: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Point → rendered lines plugins added (:class:`mcpgen.plugins.dockerfile.DockerfileAdditions`)."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def dquote(value: object) -> str:
    """A double-quoted Dockerfile string: backslash, quote and ``$`` escaped, control characters as spaces."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return '"' + _CONTROL.sub(" ", text) + '"'


def _checked(name: str, value: object) -> None:
    """Refuse a value that would break out of its Dockerfile line (every value but the quoted labels)."""
    values = value if isinstance(value, list | tuple) else [value]
    for item in values:
        if isinstance(item, str) and _CONTROL.search(item):
            raise UsageError(
                f"cannot render the Dockerfile: {name} {item[:60]!r} contains a newline or another "
                "control character (check mcpgen.yaml, the manifest and the build options)"
            )


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mcpgen.build", "templates"),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["dquote"] = dquote
    return env


def render_dockerfile(spec: DockerfileSpec) -> str:
    """The Dockerfile for ``spec``; raises :class:`~mcpgen.errors.UsageError` for a value with a control character.

    Every value is placed unquoted on a line of its own (``FROM``, ``RUN``, a
    comment) except the labels, which :func:`dquote` escapes: so a newline in,
    say, the version could start a new instruction. Such values are refused.
    """
    template = _environment().get_template("Dockerfile.j2")
    labels = sorted(spec.labels.items())
    context: dict[str, object] = dict(
        base_image=spec.base_image,
        python=spec.python,
        offline=spec.offline,
        needs_node=spec.needs_node,
        source_dirs=list(spec.source_dirs),
        labels=labels,
        port=spec.port,
        uid=spec.uid,
        server_name=spec.server_name,
        server_version=spec.server_version,
        mcpgen_version=spec.mcpgen_version,
        venv=spec.venv,
        app=spec.app,
        project_file=spec.project_file,
        additions={point: list(spec.additions.get(point, ())) for point in POINTS},
    )
    for name, value in context.items():
        if name not in ("labels", "additions"):  # additions: each rendered and checked by its instruction
            _checked(name, value)
    for key, _ in labels:
        _checked("label name", key)
    return template.render(**context)
