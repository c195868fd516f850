"""The registry: exactly what the manifest lists, imported, matched to its definitions, ready to call.

``Registry.load(manifest, settings)`` imports each module the manifest names
(once per file), matches every entry to its definition, compiles one
Draft 2020-12 validator per tool and precomputes the wire listings. A
registry is immutable once built: reloading means building a new one and
swapping it in (``RuntimeState.swap``); a failed load leaves the old one
serving.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar

import jsonschema_rs
from mcp.shared.inbound import find_invalid_x_mcp_header, x_mcp_header_map
from mcp.shared.uri_template import UriTemplate

from mcpgen.authoring import (
    ConnectorDefinition,
    ModuleDefinitions,
    PromptDefinition,
    ResourceDefinition,
    ToolDefinition,
    collect,
    import_file,
    purge_workspace_modules,
)
from mcpgen.errors import LoadError
from mcpgen.manifest import ConnectorEntry, Entrypoint, Manifest, PromptEntry, ResourceEntry, ToolEntry
from mcpgen.runtime.connectors.hub import LoadedConnector
from mcpgen.runtime.connectors.node import load_node_connector
from mcpgen.runtime.executors import Executor, Invocation, NodeExecutor, PythonExecutor
from mcpgen.runtime.node_pool import NodeBinding, NodePool
from mcpgen.runtime.settings import Settings

logger = logging.getLogger("mcpgen.runtime")
_MAX_REPORTED_ERRORS = 3
D = TypeVar("D", ToolDefinition, ResourceDefinition, PromptDefinition, ConnectorDefinition)


def _wire(**fields: Any) -> dict[str, Any]:
    """A wire dict without the fields that are ``None`` or empty strings."""
    return {k: v for k, v in fields.items() if v is not None and v != ""}


def _field_of(error: Any) -> str:
    parts = [str(p) for p in error.instance_path]
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        parts.append(str(kind.property))
    return ".".join(parts) or "(root)"


@dataclass(frozen=True, slots=True, eq=False)
class LoadedTool:
    """One callable tool: its manifest entry, its definition, its compiled validator and its executor."""

    entry: ToolEntry
    definition: ToolDefinition
    validator: Any
    timeout: float
    credentials: frozenset[str]
    wants_context: bool
    executor: Executor
    """Runs the tool: in this process (Python) or in the Node worker pool (TS/JS)."""
    connectors: tuple[str, ...] = ()
    """The connectors the tool is handed (by parameter annotation or the manifest entry)."""
    header_params: bool = False
    """Whether the input schema routes arguments to ``Mcp-Param-*`` headers (``x-mcp-header``)."""

    @property
    def name(self) -> str:
        return self.entry.name

    def argument_errors(self, arguments: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``(field path, problem)`` pairs for invalid ``arguments`` (empty when valid)."""
        if self.validator.is_valid(arguments):
            return []
        found = []
        for error in self.validator.iter_errors(arguments):
            found.append((_field_of(error), str(error.message)))
            if len(found) >= _MAX_REPORTED_ERRORS:
                break
        return found


@dataclass(frozen=True, slots=True, eq=False)
class LoadedResource:
    entry: ResourceEntry
    definition: ResourceDefinition
    template: UriTemplate | None
    executor: Executor


@dataclass(frozen=True, slots=True, eq=False)
class LoadedPrompt:
    entry: PromptEntry
    definition: PromptDefinition
    required: tuple[str, ...]
    known: frozenset[str]
    executor: Executor


class _Importer:
    """Imports each manifest path once and remembers what it defines."""

    def __init__(self, settings: Settings) -> None:
        self._root = settings.root.resolve()
        self._namespace = settings.execution.module_namespace
        self._modules: dict[str, ModuleDefinitions] = {}

    def definitions(self, entrypoint: Entrypoint, kind: str, name: str) -> ModuleDefinitions:
        path = entrypoint.path
        if entrypoint.language != "python":
            raise LoadError(
                f"{kind} '{name}' ({path}): {entrypoint.language} entrypoints are not supported yet",
                path=path,
                name=name,
            )
        cached = self._modules.get(path)
        if cached is not None:
            return cached
        file = self._root / path
        if not file.is_file():
            message = f"{kind} '{name}': module file {path} not found under {self._root}"
            raise LoadError(message, path=path, name=name)
        try:
            module = import_file(self._root, file, self._namespace)
            defs = collect(module, connectors=path.startswith("connectors/"))
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # SystemExit at import time is a load failure too
            raise LoadError(
                f"cannot import {path} (needed by {kind} '{name}'): {type(exc).__name__}: {exc}",
                path=path,
                name=name,
            ) from exc
        self._modules[path] = defs
        return defs


def _match(candidates: Sequence[D], entrypoint: Entrypoint, name: str, kind: str) -> D:
    by_both = [d for d in candidates if d.attribute == entrypoint.attribute and d.name == name]
    found = by_both or [d for d in candidates if d.attribute == entrypoint.attribute]
    found = found or [d for d in candidates if d.name == name]
    if len(found) != 1:
        raise LoadError(
            f"{kind} '{name}': {entrypoint.path} defines no {kind} at attribute '{entrypoint.attribute}'"
            if not found
            else f"{kind} '{name}': {entrypoint.path} defines it more than once",
            path=entrypoint.path,
            name=name,
        )
    return found[0]


def _unique(names: Sequence[str], kind: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise LoadError(f"the manifest lists {kind} '{name}' more than once", name=name)
        seen.add(name)


def _validator(entry: ToolEntry) -> Any:
    """The tool's Draft 2020-12 argument validator, compiled once (``LoadError`` when it does not compile)."""
    try:
        return jsonschema_rs.Draft202012Validator(entry.input_schema)
    except Exception as exc:
        message = f"tool '{entry.name}': input schema does not compile: {exc}"
        raise LoadError(message, path=entry.entrypoint.path, name=entry.name) from exc


def _runs_in_node(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("TS/JS tools run in the Node worker pool")


def _header_params(schema: Mapping[str, Any]) -> bool:
    """Whether the schema routes arguments to ``Mcp-Param-*`` headers (or tries to: the SDK judges it)."""
    return bool(x_mcp_header_map(schema)) or find_invalid_x_mcp_header(schema) is not None


def _bind_tool(definition: ToolDefinition) -> Any:
    def bind(invocation: Invocation) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return definition.call_arguments(invocation.arguments, invocation.context, invocation.connectors)

    return bind


def _bind_keywords(context_param: str | None, known: frozenset[str] | None = None) -> Any:
    """Keyword arguments from the invocation's arguments (only ``known`` ones), plus the Context."""

    def bind(invocation: Invocation) -> tuple[tuple[Any, ...], dict[str, Any]]:
        arguments = invocation.arguments
        kwargs = dict(arguments) if known is None else {k: v for k, v in arguments.items() if k in known}
        if context_param is not None:
            kwargs[context_param] = invocation.context
        return (), kwargs

    return bind


def _load_node_tool(entry: ToolEntry, pool: NodePool, settings: Settings) -> LoadedTool:
    ep = entry.entrypoint
    if not (settings.root / ep.path).is_file():
        message = f"tool '{entry.name}': module file {ep.path} not found under {settings.root}"
        raise LoadError(message, path=ep.path, name=entry.name)
    validator = _validator(entry)
    credentials = frozenset(c.name for c in entry.credentials)
    binding = NodeBinding(
        pool, ep.path, ep.attribute, ep.kind, settings.execution.tool_settings.get(entry.name, {})
    )
    definition = ToolDefinition(
        name=entry.name,
        description=entry.description,
        input_schema=entry.input_schema,
        fn=_runs_in_node,
        kind="seed",
        attribute=ep.attribute,
        output_schema=entry.output_schema,
    )
    return LoadedTool(
        entry=entry,
        definition=definition,
        validator=validator,
        timeout=entry.timeout if entry.timeout is not None else settings.execution.default_timeout,
        credentials=credentials,
        # a seed handler gets (input, config); a native one (input, ctx), unless it declares no ctx
        wants_context=ep.kind != "seed" and ep.takes_context is not False,
        executor=NodeExecutor(binding, credentials, entry.annotations),
        connectors=tuple(entry.connectors),
        header_params=_header_params(entry.input_schema),
    )


def _load_tool(entry: ToolEntry, importer: _Importer, settings: Settings) -> LoadedTool:
    defs = importer.definitions(entry.entrypoint, "tool", entry.name)
    definition = _match(defs.tools, entry.entrypoint, entry.name, "tool")
    validator = _validator(entry)
    signature = definition.signature
    return LoadedTool(
        entry=entry,
        definition=definition,
        validator=validator,
        timeout=entry.timeout if entry.timeout is not None else settings.execution.default_timeout,
        credentials=frozenset(c.name for c in entry.credentials),
        wants_context=signature is not None and signature.context_param is not None,
        executor=PythonExecutor(definition.fn, definition.is_async, _bind_tool(definition)),
        connectors=tuple(definition.connectors),
        header_params=_header_params(entry.input_schema),
    )


def _load_connector(entry: ConnectorEntry, importer: _Importer) -> LoadedConnector:
    defs = importer.definitions(entry.entrypoint, "connector", entry.name)
    definition = _match(defs.connectors, entry.entrypoint, entry.name, "connector")
    return LoadedConnector(entry=entry, definition=definition, factory=definition.cls)


def _load_resource(entry: ResourceEntry, importer: _Importer) -> LoadedResource:
    defs = importer.definitions(entry.entrypoint, "resource", entry.name)
    definition = _match(defs.resources, entry.entrypoint, entry.name, "resource")
    template = None
    if entry.uri_template is not None:
        try:
            template = UriTemplate.parse(entry.uri_template)
        except ValueError as exc:
            message = f"resource '{entry.name}': {exc}"
            raise LoadError(message, path=entry.entrypoint.path, name=entry.name) from exc
    elif entry.uri is None:
        raise LoadError(f"resource '{entry.name}' has neither uri nor uriTemplate", name=entry.name)
    executor = PythonExecutor(definition.fn, definition.is_async, _bind_keywords(definition.context_param))
    return LoadedResource(entry=entry, definition=definition, template=template, executor=executor)


def _load_prompt(entry: PromptEntry, importer: _Importer) -> LoadedPrompt:
    defs = importer.definitions(entry.entrypoint, "prompt", entry.name)
    definition = _match(defs.prompts, entry.entrypoint, entry.name, "prompt")
    known = frozenset(a.name for a in entry.arguments)
    return LoadedPrompt(
        entry=entry,
        definition=definition,
        required=tuple(a.name for a in entry.arguments if a.required),
        known=known,
        executor=PythonExecutor(
            definition.fn, definition.is_async, _bind_keywords(definition.context_param, known)
        ),
    )


class Registry:
    """Loaded tools, resources and prompts of one manifest (immutable; build a new one to reload)."""

    def __init__(
        self,
        manifest: Manifest,
        tools: Sequence[LoadedTool],
        resources: Sequence[LoadedResource],
        prompts: Sequence[LoadedPrompt],
        node_pool: NodePool | None = None,
        connectors: Sequence[LoadedConnector] = (),
    ) -> None:
        self.manifest = manifest
        self.node_pool = node_pool
        """The Node workers of this registry's TS/JS tools and connectors (``None`` without any)."""
        self.connectors: Mapping[str, LoadedConnector] = MappingProxyType({c.name: c for c in connectors})
        """The manifest's connectors, imported (the :class:`~mcpgen.runtime.connectors.hub.ConnectorHub` runs them)."""
        self.tools: Mapping[str, LoadedTool] = MappingProxyType({t.name: t for t in tools})
        self.static_resources: Mapping[str, LoadedResource] = MappingProxyType(
            {r.entry.uri: r for r in resources if r.entry.uri is not None}
        )
        self.templates: tuple[LoadedResource, ...] = tuple(r for r in resources if r.template is not None)
        self.prompts: Mapping[str, LoadedPrompt] = MappingProxyType({p.entry.name: p for p in prompts})
        self.tool_listing: tuple[dict[str, Any], ...] = tuple(_tool_wire(t.entry) for t in tools)
        self.resource_listing: tuple[dict[str, Any], ...] = tuple(
            _resource_wire(r.entry) for r in self.static_resources.values()
        )
        self.template_listing: tuple[dict[str, Any], ...] = tuple(
            _template_wire(r.entry) for r in self.templates
        )
        self.prompt_listing: tuple[dict[str, Any], ...] = tuple(_prompt_wire(p.entry) for p in prompts)
        self.left_out: tuple[dict[str, Any], ...] = ()
        """Problems of the workspace left out of this registry (an optional connector that failed to
        load: ``{severity, code, message, path, line, name}``); logged at start and shown in ``/health``."""

    @classmethod
    def load(cls, manifest: Manifest, settings: Settings, *, purge: bool = False) -> Registry:
        """Import what ``manifest`` lists (paths relative to ``settings.root``) and build a registry.

        ``purge=True`` first forgets previously imported workspace modules (and
        their helper modules), as a reload needs. Raises :class:`LoadError`
        naming the path and the tool when a module cannot be imported or does
        not define what the manifest says.
        """
        if purge:
            purge_workspace_modules(settings.root)
        _unique([t.name for t in manifest.tools], "tool")
        _unique([p.name for p in manifest.prompts], "prompt")
        _unique([r.uri or r.uri_template or "" for r in manifest.resources], "resource URI")
        _unique([c.name for c in manifest.connectors], "connector")
        importer = _Importer(settings)
        node = [e for e in manifest.tools if e.entrypoint.language != "python"]
        node_connectors = [e for e in manifest.connectors if e.entrypoint.language != "python"]
        pool = NodePool(settings.root, settings.execution.node_workers) if node or node_connectors else None
        connectors = [
            load_node_connector(e, pool)
            if pool is not None and e in node_connectors
            else _load_connector(e, importer)
            for e in manifest.connectors
        ]
        tools = [
            _load_node_tool(e, pool, settings)
            if pool is not None and e in node
            else _load_tool(e, importer, settings)
            for e in manifest.tools
        ]
        resources = [_load_resource(e, importer) for e in manifest.resources]
        prompts = [_load_prompt(e, importer) for e in manifest.prompts]
        logger.info(
            "registry loaded: %d tools, %d resources, %d prompts, %d connectors",
            len(tools),
            len(resources),
            len(prompts),
            len(connectors),
        )
        return cls(manifest, tools, resources, prompts, pool, connectors)

    async def aclose(self) -> None:
        """Stop this registry's Node workers (if any); Python tools need no shutdown."""
        if self.node_pool is not None:
            await self.node_pool.aclose()

    def close_soon(self) -> None:
        """Stop the Node workers once their in-flight calls finish (after a swap; any thread)."""
        if self.node_pool is not None:
            self.node_pool.close_soon()

    def input_schema(self, name: str) -> dict[str, Any] | None:
        tool = self.tools.get(name)
        return tool.entry.input_schema if tool is not None else None

    def may_stream(self, method: str, params: Mapping[str, Any]) -> bool:
        """Whether answering this request may send notifications or ask the client (a Context is injected)."""
        if method == "tools/call":
            tool = self.tools.get(params.get("name"))  # type: ignore[arg-type]
            return tool is not None and tool.wants_context
        if method == "prompts/get":
            prompt = self.prompts.get(params.get("name"))  # type: ignore[arg-type]
            return prompt is not None and prompt.definition.context_param is not None
        if method == "resources/read":
            uri = params.get("uri")
            found = self.find_resource(uri) if isinstance(uri, str) else None
            return found is not None and found[0].definition.context_param is not None
        return False

    def find_resource(self, uri: str) -> tuple[LoadedResource, dict[str, Any]] | None:
        """The resource serving ``uri`` and the template variables it binds (static URIs win)."""
        static = self.static_resources.get(uri)
        if static is not None:
            return static, {}
        for resource in self.templates:
            assert resource.template is not None
            variables = resource.template.match(uri)
            if variables is not None:
                return resource, dict(variables)
        return None


def _tool_wire(e: ToolEntry) -> dict[str, Any]:
    return _wire(
        name=e.name,
        title=e.title,
        description=e.description,
        inputSchema=e.input_schema,
        outputSchema=e.output_schema,
        annotations=e.annotations,
    )


def _resource_wire(e: ResourceEntry) -> dict[str, Any]:
    return _wire(uri=e.uri, name=e.name, title=e.title, description=e.description, mimeType=e.mime_type)


def _template_wire(e: ResourceEntry) -> dict[str, Any]:
    return _wire(
        uriTemplate=e.uri_template,
        name=e.name,
        title=e.title,
        description=e.description,
        mimeType=e.mime_type,
    )


def _prompt_wire(e: PromptEntry) -> dict[str, Any]:
    return _wire(
        name=e.name,
        title=e.title,
        description=e.description,
        arguments=[_wire(name=a.name, description=a.description, required=a.required) for a in e.arguments],
    )
