"""``mcpgen.yaml``, the project file: read once, here, into a typed :class:`ProjectFile`.

Every key is optional, and so is the file (without it the folder name is the
server name)::

    name: weather                  # 1-64 letters, digits, '_', '.', '-' (default: the folder name)
    version: 0.1.0
    description: Forecasts         # the image's description label
    instructions: ...              # the server's MCP instructions
    build:                         # `mcpgen build` defaults; the command line wins
      base_image: python:3.12-slim
      registry: ghcr.io/my-org
      offline: true
      python_version: "3.12"
      tags: [stable]
    registry:                      # the MCP Registry entry (`mcpgen generate` writes server.json)
      name: io.github.my-org/weather   # reverse-DNS name; also the image label io.modelcontextprotocol.server.name
      url: https://mcp.example.com/mcp # where the server is deployed (remotes, streamable-http)
      pypi: weather-mcp            # the PyPI package, when the server is published there
      repository: https://github.com/my-org/weather
    kubernetes:                    # `mcpgen deploy k8s` defaults; the command line wins
      namespace: mcp
      replicas: 2
      max_replicas: 6
      hosts: [mcp.example.com]     # public host names (an Ingress) the server answers
      requests: {cpu: 100m, memory: 256Mi}
      limits: {cpu: "1", memory: 512Mi}

The file is read with the safe YAML core schema (:mod:`mcpgen.config.reader`);
every problem is reported at once, each with the file, the line and the key.
Image references (``base_image``, ``registry``, ``tags``) are checked against
Docker's grammar where the build plan uses them, as the same flags are.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, field_validator

from mcpgen.config.reader import Document, read_document
from mcpgen.errors import ConfigError, WorkspaceError

PROJECT_FILE = "mcpgen.yaml"
"""The project file's name, at the root of a workspace."""
DEFAULT_VERSION = "0.1.0"
_TOP = "a map of project keys (name, version, description, instructions, build, registry, kubernetes)"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TOKEN = re.compile(r"^[^\s\x00-\x1f\x7f]+$")


def _token(value: str | None) -> str | None:
    """A value that reaches the Dockerfile, image labels, tags or a shell: one word, no control characters."""
    if value is not None and not _TOKEN.match(value):
        raise ValueError("must be one word: no spaces, newlines or other control characters")
    return value


def _text(value: str | None) -> str | None:
    """Free text that reaches image labels: newlines allowed (they become spaces), other control characters not."""
    if value is not None and _CONTROL.search(value.replace("\n", "").replace("\t", "")):
        raise ValueError("must not contain control characters (except newlines and tabs)")
    return value


def _one_or_many(value: Any) -> Any:
    """``tags: stable`` means one tag, not six one-letter ones."""
    return [value] if isinstance(value, str) else value


class BuildSettings(BaseModel):
    """The ``build:`` section: defaults for ``mcpgen build`` (its flags win)."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    base_image: str | None = None
    registry: str | None = None
    offline: bool = False
    python_version: str | None = None
    tags: Annotated[tuple[str, ...], BeforeValidator(_one_or_many)] = ()
    allowed_hosts: Annotated[tuple[str, ...], BeforeValidator(_one_or_many)] = ()
    """Host names the image's default config accepts (``server.allowed_hosts``); empty: loopback names."""
    allowed_origins: Annotated[tuple[str, ...], BeforeValidator(_one_or_many)] = ()
    """Browser origins the image's default config accepts (``server.allowed_origins``); empty: loopback."""

    @field_validator("base_image", "registry", "python_version")
    @classmethod
    def _check_token(cls, value: str | None) -> str | None:
        return _token(value)

    @field_validator("tags")
    @classmethod
    def _check_tags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for tag in value:
            _token(tag)
        return value


_MCP_NAME = re.compile(r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_HOST = re.compile(r"^(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:([0-9]+|\*))?$")


class RegistrySettings(BaseModel):
    """The ``registry:`` section: what ``server.json`` (the MCP Registry entry) says."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    """Reverse-DNS name, e.g. ``io.github.my-org/weather``."""
    url: str | None = None
    """The deployed server's MCP endpoint (a ``streamable-http`` remote)."""
    pypi: str | None = None
    """The PyPI package that runs the server, when there is one."""
    repository: str | None = None
    website: str | None = None

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 200 or not _MCP_NAME.match(value)):
            raise ValueError(
                "must look like io.github.<owner>/<name> (one '/', letters, digits, '.', '_', '-')"
            )
        return value

    @field_validator("url", "repository", "website")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is not None and (not re.match(r"^https?://[^\s]+$", value)):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("pypi")
    @classmethod
    def _check_pypi(cls, value: str | None) -> str | None:
        return _token(value)


class KubernetesSettings(BaseModel):
    """The ``kubernetes:`` section: defaults for ``mcpgen deploy k8s`` (its flags win)."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    namespace: str | None = None
    replicas: int | None = None
    max_replicas: int | None = None
    cpu_target: int = 70
    """Average CPU utilisation (percent of the request) the autoscaler aims for."""
    hosts: Annotated[tuple[str, ...], BeforeValidator(_one_or_many)] = ()
    """Public host names clients use (an Ingress, a load balancer): added to ``server.allowed_hosts``."""
    requests: dict[str, str] = {}
    limits: dict[str, str] = {}

    @field_validator("namespace")
    @classmethod
    def _check_namespace(cls, value: str | None) -> str | None:
        if value is not None and not _DNS_LABEL.match(value):
            raise ValueError("must be a DNS label: lowercase letters, digits and '-', at most 63")
        return value

    @field_validator("replicas", "max_replicas")
    @classmethod
    def _check_count(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= 1000:
            raise ValueError("must be between 1 and 1000")
        return value

    @field_validator("cpu_target")
    @classmethod
    def _check_target(cls, value: int) -> int:
        if not 1 <= value <= 100:
            raise ValueError("must be a percentage between 1 and 100")
        return value

    @field_validator("hosts")
    @classmethod
    def _check_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for host in value:
            if not _HOST.match(host):
                raise ValueError(f"{host!r} is not a host name (name[:port], port may be '*')")
        return value

    @field_validator("requests", "limits")
    @classmethod
    def _check_resources(cls, value: dict[str, str]) -> dict[str, str]:
        for key, quantity in value.items():
            if key not in ("cpu", "memory", "ephemeral-storage"):
                raise ValueError(f"unknown resource {key!r}; expected cpu, memory or ephemeral-storage")
            if not _QUANTITY.match(str(quantity)):
                raise ValueError(f"{key}: {quantity!r} is not a Kubernetes quantity (e.g. 250m, 512Mi, 1)")
        return value


class ProjectFile(BaseModel):
    """What ``mcpgen.yaml`` says, defaults filled in (``name`` defaults to the workspace folder's name)."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    name: str
    version: str = DEFAULT_VERSION
    description: str = ""
    instructions: str | None = None
    build: BuildSettings = BuildSettings()
    registry: RegistrySettings = RegistrySettings()
    kubernetes: KubernetesSettings = KubernetesSettings()

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} must be 1-64 characters of letters, digits, '_', '.', '-'")
        return value

    @field_validator("version")
    @classmethod
    def _check_version(cls, value: str) -> str:
        _token(value)
        return value

    @field_validator("description")
    @classmethod
    def _check_description(cls, value: str) -> str:
        _text(value)
        return value


def default_name(root: Path) -> str:
    """The server name of a workspace without one: its folder's name, made valid."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", root.resolve().name).strip("-.") or "mcp-server"
    return name[:64]


def _given(data: dict[str, Any]) -> dict[str, Any]:
    """Keys left empty (``version:``, ``description: ""``) take their defaults, as if absent."""
    return {key: value for key, value in data.items() if value is not None and value != ""}


_SECTIONS: dict[str, type[BaseModel]] = {
    "build": BuildSettings,
    "registry": RegistrySettings,
    "kubernetes": KubernetesSettings,
}


def _allowed(model: type[BaseModel]) -> str:
    return ", ".join(sorted(model.model_fields))


def _line(document: Document, loc: tuple[str, ...]) -> int | None:
    """The line of the closest key in ``loc`` that the document has (a list item has none of its own)."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in document.lines:
            return document.lines[loc[:end]]
    return None


def _problems(exc: ValidationError, document: Document, where: str) -> list[str]:
    """One ``file:line: key: problem`` line per error, never the offending value."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        loc = tuple(str(part) for part in error["loc"])
        key = ".".join(loc) or "(top level)"
        if error["type"] == "extra_forbidden":
            section = _SECTIONS.get(loc[0], ProjectFile) if len(loc) > 1 else ProjectFile
            message = f"unknown key; expected one of: {_allowed(section)}"
        elif error["type"] == "model_type":
            message = "expected a map of keys"
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            message = message.replace("Input should be ", "expected ", 1)
        line = _line(document, loc)
        lines.append(f"{where}{f':{line}' if line else ''}: {key}: {message}")
    return lines


def parse_project_file(document: Document, file: Path, *, name: str) -> ProjectFile:
    """Validate a parsed project file (pure); ``name`` is the default server name."""
    data = _given(document.data)
    for section in _SECTIONS:
        if isinstance(data.get(section), dict):
            data[section] = _given(data[section])
    data.setdefault("name", name)
    try:
        return ProjectFile.model_validate(data)
    except ValidationError as exc:
        raise WorkspaceError("\n".join(_problems(exc, document, str(file))), path=file) from None


def load_project_file(root: Path) -> ProjectFile:
    """Read ``root/mcpgen.yaml``; without the file, the defaults (the folder name as the server name).

    Raises :class:`~mcpgen.errors.WorkspaceError` naming the file, the line and the key of
    every problem.
    """
    file = root / PROJECT_FILE
    if not file.is_file():
        return ProjectFile(name=default_name(root))
    try:
        document = read_document(file, str(file), expected=_TOP)
    except ConfigError as exc:
        raise WorkspaceError(exc.message, path=file) from exc
    return parse_project_file(document, file, name=default_name(root))
