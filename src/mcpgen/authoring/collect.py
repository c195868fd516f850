"""Import a user module by path and collect what it defines.

Shared by the discovery worker (which describes modules) and the runtime
(which loads exactly the modules the manifest lists).
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from collections.abc import Mapping
from pathlib import Path
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
from mcpgen.errors import LoadError

_SAFE = re.compile(r"[^A-Za-z0-9_]")


def module_name(root: Path, path: Path, namespace: str = "mcpgen_workspace") -> str:
    """The module name a workspace file is imported under.

    Files in ``connectors/`` are ``connectors.<name>``, the name a tool imports
    them by (``from connectors.notion import Notion``), so both share one module;
    everything else lives under ``namespace``.
    """
    rel = path.resolve().relative_to(root.resolve()).with_suffix("")
    parts = [_SAFE.sub("_", part) for part in rel.parts]
    if len(parts) > 1 and parts[0] == "connectors":
        return ".".join(parts)
    return ".".join([namespace, *parts])


def import_file(root: Path, path: Path, namespace: str = "mcpgen_workspace") -> ModuleType:
    """Import ``path`` (inside workspace ``root``) as a fresh module.

    The file's folder goes on ``sys.path`` so it can import its helper modules
    (``_helpers.py``) by plain name, and the workspace root goes last so tools
    can import connectors (``from connectors.notion import Notion``). A
    connector module a tool already imported is reused, not run twice. Errors
    propagate unchanged: callers decide whether they are diagnostics
    (discovery) or a :class:`LoadError` (runtime).
    """
    name = module_name(root, path, namespace)
    folder = str(path.parent.resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    workspace = str(root.resolve())
    if workspace not in sys.path:
        sys.path.append(workspace)
    existing = sys.modules.get(name)
    if name.startswith("connectors.") and existing is not None and _same_file(existing, path):
        return existing
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"{path}: not an importable Python file", path=str(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _same_file(module: ModuleType, path: Path) -> bool:
    file = getattr(module, "__file__", None)
    return file is not None and Path(file).resolve() == path.resolve()


def purge_workspace_modules(root: Path) -> None:
    """Forget every imported module whose file lives under ``root`` (before a reload)."""
    root_s = str(root.resolve())
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and str(Path(file).resolve()).startswith(root_s + "/"):
            del sys.modules[name]


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
