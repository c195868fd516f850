"""Turn authoring definitions into manifest entries (pure)."""

from __future__ import annotations

from mcpgen.authoring import (
    ConnectorDefinition,
    Credential,
    ModuleDefinitions,
    PromptDefinition,
    ResourceDefinition,
    ToolDefinition,
)
from mcpgen.manifest import (
    ConnectorEntry,
    CredentialRef,
    Entrypoint,
    PromptArgument,
    PromptEntry,
    ResourceEntry,
    SourceRef,
    ToolEntry,
)


def _creds(creds: tuple[Credential, ...], *, optional: bool = False) -> list[CredentialRef]:
    return [
        CredentialRef(
            name=c.name,
            kind=c.kind,
            required=c.required and not optional,
            description=c.description,
            pattern=c.pattern,
            choices=list(c.choices) if c.choices is not None else None,
            when=c.when,
        )
        for c in creds
    ]


def tool_entry(d: ToolDefinition, path: str) -> ToolEntry:
    return ToolEntry(
        name=d.name,
        title=d.title,
        description=d.description,
        input_schema=d.input_schema,
        output_schema=d.output_schema,
        annotations=d.annotations,
        timeout=d.timeout,
        tags=sorted(d.tags),
        credentials=_creds(d.credentials),
        connectors=sorted(set(d.connectors)),
        entrypoint=Entrypoint(path=path, attribute=d.attribute, kind=d.kind),
        source=SourceRef(path=path, line=d.line),
    )


def resource_entry(d: ResourceDefinition, path: str) -> ResourceEntry:
    return ResourceEntry(
        name=d.name,
        uri=d.uri,
        uri_template=d.uri_template,
        title=d.title,
        description=d.description,
        mime_type=d.mime_type,
        entrypoint=Entrypoint(path=path, attribute=d.attribute),
        source=SourceRef(path=path, line=d.line),
    )


def prompt_entry(d: PromptDefinition, path: str) -> PromptEntry:
    return PromptEntry(
        name=d.name,
        title=d.title,
        description=d.description,
        arguments=[
            PromptArgument(name=a.name, description=a.description, required=a.required) for a in d.arguments
        ],
        entrypoint=Entrypoint(path=path, attribute=d.attribute),
        source=SourceRef(path=path, line=d.line),
    )


def connector_entry(d: ConnectorDefinition, path: str) -> ConnectorEntry:
    """A connector's entry; an optional connector's credentials are optional (it may run without)."""
    return ConnectorEntry(
        name=d.name,
        kind=d.kind,
        auth=d.auth,  # checked by build_connector
        description=d.description,
        required=d.required,
        endpoint=d.endpoint,
        rate_limit=d.rate_limit,
        token_url=d.token_url,
        auth_header=d.auth_header,
        scopes=list(d.scopes),
        credentials=_creds(d.credentials, optional=not d.required),
        entrypoint=Entrypoint(path=path, attribute=d.attribute, kind="seed" if d.seed else "decorated"),
        source=SourceRef(path=path, line=d.line),
    )


def describe(
    defs: ModuleDefinitions, path: str
) -> tuple[list[ToolEntry], list[ResourceEntry], list[PromptEntry], list[ConnectorEntry]]:
    """Manifest entries for everything one module (at workspace-relative ``path``) defines."""
    return (
        [tool_entry(t, path) for t in defs.tools],
        [resource_entry(r, path) for r in defs.resources],
        [prompt_entry(p, path) for p in defs.prompts],
        [connector_entry(c, path) for c in defs.connectors],
    )
