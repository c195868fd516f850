"""Collect what an imported user module defines (importing it is :mod:`.imports`).

Shared by the discovery worker (which describes modules) and the runtime
(which loads exactly the modules the manifest lists).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from mcpgen.authoring import docstrings
from mcpgen.authoring.credentials import seed_credentials
from mcpgen.authoring.definitions import (
    ATTRIBUTE,
    ModuleDefinitions,
    PromptDefinition,
    ResourceDefinition,
    ToolDefinition,
)
from mcpgen.authoring.schema import CONNECTOR_ATTRIBUTE, DefinitionError, Signature, _is_context, type_hints


def _seed_tool(module: ModuleType, metadata: Any) -> ToolDefinition:
    where = "metadata"
    if not isinstance(metadata, Mapping):
        raise DefinitionError(f"{where} must be a dict, got {type(metadata).__name__}")
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise DefinitionError(f"{where}['name'] is missing or not a string")
    handler = getattr(module, "handler", None) or getattr(module, name, None)
    if not callable(handler):
        raise DefinitionError(
            f"tool {name!r}: seed-format module needs a `handler(args)` function or `def {name}(args)`"
        )
    schema = metadata.get("inputSchema", {"type": "object", "properties": {}})
    if not isinstance(schema, Mapping):
        raise DefinitionError(f"tool {name!r}: metadata['inputSchema'] must be a dict")
    params = list(inspect.signature(handler).parameters.values())
    hints = type_hints(handler)
    ctx_param = next((p.name for p in params[1:] if _is_context(hints.get(p.name))), None)
    if ctx_param is None and len(params) >= 2 and params[1].name in ("ctx", "context"):
        ctx_param = params[1].name
    from pydantic import BaseModel

    signature = Signature(
        model=BaseModel, input_schema=dict(schema), context_param=ctx_param, param_names=(), plain=True
    )
    version = metadata.get("schemaVersion")
    timeout = metadata.get("timeout")
    annotations = metadata.get("annotations")
    return ToolDefinition(
        name=name,
        description=str(metadata.get("description") or docstrings.parse(handler.__doc__).description),
        input_schema=dict(schema),
        fn=handler,
        kind="seed",
        attribute=handler.__name__,
        title=metadata.get("title"),
        output_schema=metadata.get("outputSchema"),
        annotations=dict(annotations) if isinstance(annotations, Mapping) else None,
        timeout=float(timeout) if isinstance(timeout, int | float) else None,
        tags=tuple(metadata.get("tags") or ()),
        credentials=seed_credentials(metadata.get("credentials"), f"tool {name!r}"),
        line=handler.__code__.co_firstlineno if hasattr(handler, "__code__") else None,
        schema_version=str(version) if version is not None else None,
        signature=signature,
        is_async=inspect.iscoroutinefunction(handler),
    )


def collect(module: ModuleType, *, connectors: bool = False) -> ModuleDefinitions:
    """Every tool, resource, prompt and connector defined *in* ``module`` (not ones it imported).

    ``connectors=True`` for a module of ``connectors/``: a seed-format
    ``metadata`` dict there describes a connector, not a tool.
    """
    from mcpgen.authoring.connectors import ConnectorDefinition, seed_connector

    found = ModuleDefinitions()
    for value in vars(module).values():
        if isinstance(value, type):
            spec = vars(value).get(CONNECTOR_ATTRIBUTE)
            if isinstance(spec, ConnectorDefinition) and value.__module__ == module.__name__:
                found.connectors.append(spec)
            continue
        definition = getattr(value, ATTRIBUTE, None)
        if definition is None or getattr(value, "__module__", None) != module.__name__:
            continue
        if isinstance(definition, ToolDefinition):
            found.tools.append(definition)
        elif isinstance(definition, ResourceDefinition):
            found.resources.append(definition)
        elif isinstance(definition, PromptDefinition):
            found.prompts.append(definition)
    metadata = vars(module).get("metadata")
    if connectors:
        if metadata is not None and not found.connectors:
            if not isinstance(metadata, Mapping):
                raise DefinitionError(f"metadata must be a dict, got {type(metadata).__name__}")
            found.connectors.append(seed_connector(module, metadata))
    elif metadata is not None and not found.tools:
        found.tools.append(_seed_tool(module, metadata))
    return found
