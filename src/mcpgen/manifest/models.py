"""Manifest v1: the contract between the generator and the runtime.

The generator writes it (``mcpgen manifest``), the runtime loads exactly what it
lists and never rescans source folders. Keys are camelCase on the wire; lists
are sorted by name so that an unchanged workspace yields byte-identical output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from mcpgen.authoring import credentials

MANIFEST_VERSION: Literal[1] = 1
SUPPORTED_SCHEMA_VERSIONS = frozenset({"1.0"})
"""``schemaVersion`` values accepted for seed-format (``metadata = {...}``) modules."""


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )


class SourceRef(_Model):
    """Where a definition came from, relative to the workspace root (POSIX separators)."""

    path: str
    line: int | None = None


class Entrypoint(_Model):
    """How the runtime finds the callable: import ``path`` (relative to the workspace), take ``attribute``.

    ``kind`` tells how the callable is shaped:
    - ``decorated``: a function decorated with ``@tool``/``@resource``/``@prompt``;
    - ``seed``: a seed-format module (``metadata`` dict plus ``handler``);
    - ``native``: a TS/JS module in mcpgen's format (``handler(input, ctx)``).

    For an OpenAPI operation (``language: openapi``), ``path`` is the spec file under ``openapi/``
    and ``attribute`` the operation's JSON pointer in it (``/paths/~1pets/get``); what the runtime
    needs to call it is in :attr:`ToolEntry.http`, so the spec is not read again at run time.

    For TS/JS, ``attribute`` names the export the Node bridge reads: ``default``,
    ``handler`` (``metadata`` + ``handler`` exports) or ``tools.N``, and
    ``takes_context`` says whether a ``native`` handler declares its ``ctx``
    parameter (``handler.length >= 2``; absent: assume it does). A handler that
    does not cannot log or report progress, so its calls take the fast path.
    """

    language: Literal["python", "typescript", "javascript", "openapi"] = "python"
    path: str
    attribute: str
    kind: Literal["decorated", "seed", "native"] = "decorated"
    takes_context: bool | None = None


CredentialRef = credentials.Credential
"""A credential as one module declares it: ``mcpgen.Credential`` itself, in the manifest's entries."""


def parse_when(when: str | None) -> tuple[str, str] | None:
    """A credential's ``when="AUTH_METHOD=oauth2"`` condition as ``("AUTH_METHOD", "oauth2")``."""
    if not when:
        return None
    name, _, value = when.partition("=")
    return name.strip(), value.strip()


NODE_LANGUAGES = frozenset({"typescript", "javascript"})
"""Entrypoint languages that run in the Node worker pool."""


class HttpParameter(_Model):
    """One parameter of an HTTP operation: where it goes (``location``) and which tool argument holds it."""

    name: str
    location: Literal["path", "query", "header", "cookie"]
    argument: str
    """The tool argument's name (the parameter name, unless two parameters share it)."""
    style: Literal["form", "simple"] | None = None
    explode: bool = True
    """How an array value is serialized (``explode``: ``?a=1&a=2``; else ``?a=1,2``)."""


class HttpAuth(_Model):
    """How a request is authenticated: a credential's value put in a header or query parameter.

    ``kind`` ``api_key`` puts the value as it is in ``name`` (a header or query parameter,
    by ``location``); ``bearer`` sends ``Authorization: Bearer <value>``; ``basic`` sends the
    value (``user:password``) base64-encoded as ``Authorization: Basic``.
    """

    kind: Literal["api_key", "bearer", "basic"]
    credential: str
    location: Literal["header", "query", "cookie"] = "header"
    name: str = "Authorization"


class HttpOperation(_Model):
    """An OpenAPI operation as a tool calls it (``ToolEntry.http``).

    ``api`` is the spec's name (its file name without the extension; the config's
    ``openapi.<api>`` section overrides ``base_url`` and adds headers). The request body is
    built from the arguments named in ``body_fields`` (a flattened object body), or is the
    argument ``body_argument`` as it is, or absent.
    """

    api: str
    method: str
    path: str
    base_url: str | None = None
    parameters: list[HttpParameter] = Field(default_factory=list)
    body_argument: str | None = None
    body_fields: list[str] | None = None
    body_required: bool = False
    content_type: str = "application/json"
    auth: list[HttpAuth] = Field(default_factory=list)
    """Alternatives in the spec's order: the first whose credential is set is used."""


class ToolEntry(_Model):
    name: str
    title: str | None = None
    description: str = ""
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None = None
    annotations: dict[str, Any] | None = None
    timeout: float | None = None
    tags: list[str] = Field(default_factory=list)
    credentials: list[CredentialRef] = Field(default_factory=list)
    connectors: list[str] = Field(default_factory=list)
    """Connectors injected into the tool's parameters (by annotation), by name."""
    cache_ttl: float | None = None
    """Seconds a successful result may be served again for the same arguments (``@tool(cache_ttl=...)``)."""
    http: HttpOperation | None = None
    """The HTTP operation an OpenAPI tool calls (``entrypoint.language == "openapi"``)."""
    entrypoint: Entrypoint
    source: SourceRef


class ResourceEntry(_Model):
    """A static resource (``uri``) or a URI template (``uri_template``); exactly one is set."""

    name: str
    uri: str | None = None
    uri_template: str | None = None
    title: str | None = None
    description: str = ""
    mime_type: str | None = None
    entrypoint: Entrypoint
    source: SourceRef


class PromptArgument(_Model):
    name: str
    description: str = ""
    required: bool = True


class PromptEntry(_Model):
    name: str
    title: str | None = None
    description: str = ""
    arguments: list[PromptArgument] = Field(default_factory=list)
    entrypoint: Entrypoint
    source: SourceRef


class ConnectorEntry(_Model):
    """A connector: a client for an external service with a lifecycle (``connectors/``).

    ``entrypoint.kind`` is ``decorated`` (``@connector`` class) or ``seed``
    (a ``metadata`` dict; for TS/JS the default export's shape).
    """

    name: str
    kind: str = "generic"
    auth: Literal["api_key", "oauth2", "token", "basic", "none"] = "none"
    description: str = ""
    required: bool = True
    endpoint: str | None = None
    rate_limit: float | None = None
    """Requests per minute the service allows."""
    token_url: str | None = None
    auth_header: str | None = None
    scopes: list[str] = Field(default_factory=list)
    methods: list[str] = Field(default_factory=list)
    """Methods a TS/JS connector declares (``metadata.methods``)."""
    credentials: list[CredentialRef] = Field(default_factory=list)
    entrypoint: Entrypoint
    source: SourceRef


@dataclass(frozen=True, slots=True)
class CredentialRequirement(CredentialRef):
    """A credential requirement merged across every module that declares it (``manifest.credentials``).

    A declared credential (:class:`CredentialRef`, which is ``mcpgen.Credential``)
    plus ``declared_by``: the paths of the modules that declare it, sorted.
    """

    declared_by: tuple[str, ...] = field(default_factory=tuple)


Credential = CredentialRequirement
"""The merged requirement's older name (``config/``, ``workflows/`` and the CLI import it)."""


class Dependencies(_Model):
    python: list[str] = Field(default_factory=list)
    """Merged PEP 508 requirement strings, sorted by project name."""
    npm: dict[str, str] = Field(default_factory=dict)
    """npm package → semver range for TS/JS tools (tools/package.json plus inline seed dependencies)."""


class Capabilities(_Model):
    tools: bool = False
    resources: bool = False
    prompts: bool = False


class ServerInfo(_Model):
    name: str
    version: str = "0.1.0"
    instructions: str | None = None


EXTENSION_PREFIX = "x-"


class Manifest(_Model):
    """The manifest. Top-level keys starting with ``x-`` are extensions (plugins add them): kept as
    they are, ignored by the runtime; any other unknown key is an error."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"patternProperties": {"^x-": {}}, "additionalProperties": False},
    )

    @model_validator(mode="after")
    def _only_extensions(self) -> Manifest:
        unknown = sorted(k for k in self.model_extra or {} if not k.startswith(EXTENSION_PREFIX))
        if unknown:
            raise ValueError(
                f"unknown manifest key(s) {', '.join(unknown)}; only extensions starting with "
                f"{EXTENSION_PREFIX!r} may be added"
            )
        return self

    @property
    def extensions(self) -> dict[str, Any]:
        """The ``x-*`` keys, by name."""
        return dict(self.model_extra or {})

    manifest_version: Literal[1] = MANIFEST_VERSION
    mcpgen_version: str
    server: ServerInfo
    tools: list[ToolEntry] = Field(default_factory=list)
    resources: list[ResourceEntry] = Field(default_factory=list)
    prompts: list[PromptEntry] = Field(default_factory=list)
    connectors: list[ConnectorEntry] = Field(default_factory=list)
    credentials: list[CredentialRequirement] = Field(default_factory=list)
    dependencies: Dependencies = Field(default_factory=Dependencies)
    capabilities: Capabilities = Field(default_factory=Capabilities)
