"""Dockerfile rendering: a pure function of a :class:`DockerfileSpec` (Jinja2, StrictUndefined)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import jinja2

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


def dquote(value: object) -> str:
    """A double-quoted Dockerfile string: backslash, quote and ``$`` escaped, newlines as spaces."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return '"' + " ".join(text.splitlines()) + '"'


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
    template = _environment().get_template("Dockerfile.j2")
    return template.render(
        base_image=spec.base_image,
        python=spec.python,
        offline=spec.offline,
        needs_node=spec.needs_node,
        source_dirs=list(spec.source_dirs),
        labels=sorted(spec.labels.items()),
        port=spec.port,
        uid=spec.uid,
        server_name=spec.server_name,
        server_version=spec.server_version,
        mcpgen_version=spec.mcpgen_version,
        venv=spec.venv,
        app=spec.app,
        project_file=spec.project_file,
    )
