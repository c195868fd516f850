"""Describe authoring definitions as manifest entries (pure).

A Python tool becomes a manifest entry through the language-neutral spec
(:func:`tool_spec`) and :func:`mcpgen.discovery.entries.tool_entry`, the
function the TS/JS loader uses too. The discovery worker sends the spec
(:func:`describe_json`) and the parent builds the entry
(:func:`python_tool_entry`), so the checks run in mcpgen's process, not next
to user code. Resources, prompts and connectors become entries directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from mcpgen.authoring import (
    ConnectorDefinition,
    ModuleDefinitions,
    PromptDefinition,
    ResourceDefinition,
    ToolDefinition,
)
from mcpgen.authoring.schema import DefinitionError
from mcpgen.discovery.diagnostics import Diagnostic, warning
from mcpgen.discovery.entries import optional, tool_entry
from mcpgen.manifest import (
    ConnectorEntry,
    Entrypoint,
    PromptArgument,
    PromptEntry,
    ResourceEntry,
    SourceRef,
    ToolEntry,
)


def tool_spec(d: ToolDefinition) -> dict[str, Any]:
    """``{"attribute", "kind", "line", "metadata"}``: a Python tool as JSON, ``metadata`` in mcpgen's tool format."""
    metadata = {
        "name": d.name,
        "title": d.title,
        "description": d.description,
        "inputSchema": d.input_schema,
        "outputSchema": d.output_schema,
        "annotations": d.annotations,
        "timeout": d.timeout,
        "tags": list(d.tags),
        "credentials": [asdict(c) for c in d.credentials],
        "connectors": list(d.connectors),
    }
    return {
        "attribute": d.attribute,
        "kind": d.kind,
        "line": d.line,
        "metadata": metadata,
        "warnings": [asdict(w) for w in d.warnings],
    }


def python_tool_entry(spec: Mapping[str, Any], path: str) -> tuple[ToolEntry | None, list[Diagnostic]]:
    """The entry of a Python tool's :func:`tool_spec`, or None and the diagnostics saying why."""
    entrypoint = Entrypoint(path=path, attribute=spec["attribute"], kind=spec["kind"])
    entry, problems = tool_entry(spec["metadata"], entrypoint, spec.get("line"))
    name = entry.name if entry is not None else None
    notes = [warning(w["code"], w["message"], path, w.get("line"), name) for w in spec.get("warnings") or []]
    return entry, problems + notes


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
        credentials=optional(d.credentials, d.required),
        entrypoint=Entrypoint(path=path, attribute=d.attribute, kind="seed" if d.seed else "decorated"),
        source=SourceRef(path=path, line=d.line),
    )


def describe(
    defs: ModuleDefinitions, path: str
) -> tuple[list[ToolEntry], list[ResourceEntry], list[PromptEntry], list[ConnectorEntry]]:
    """Manifest entries for everything one module (at workspace-relative ``path``) defines, in-process.

    Raises :class:`DefinitionError` with the first problem of a tool (discovery
    reports them all as diagnostics instead).
    """
    tools = []
    for d in defs.tools:
        entry, problems = python_tool_entry(tool_spec(d), path)
        if entry is None:
            raise DefinitionError(problems[0].message)
        tools.append(entry)
    return tools, *_others(defs, path)


def describe_json(defs: ModuleDefinitions, path: str) -> dict[str, list[dict[str, Any]]]:
    """What the discovery worker sends: tool specs, and the other entries in their manifest form."""
    resources, prompts, connectors = _others(defs, path)
    return {
        "tools": [tool_spec(t) for t in defs.tools],
        "resources": [r.model_dump(mode="json", by_alias=True) for r in resources],
        "prompts": [p.model_dump(mode="json", by_alias=True) for p in prompts],
        "connectors": [c.model_dump(mode="json", by_alias=True) for c in connectors],
    }


def _others(
    defs: ModuleDefinitions, path: str
) -> tuple[list[ResourceEntry], list[PromptEntry], list[ConnectorEntry]]:
    return (
        [resource_entry(r, path) for r in defs.resources],
        [prompt_entry(p, path) for p in defs.prompts],
        [connector_entry(c, path) for c in defs.connectors],
    )
