"""The authoring API tool files import (re-exported from ``mcpgen``)."""

from mcpgen.authoring.collect import collect, import_file, module_name, purge_workspace_modules
from mcpgen.authoring.context import LOG_LEVELS, Context, ContextBackend, LogLevel
from mcpgen.authoring.credentials import Credential
from mcpgen.authoring.definitions import (
    ATTRIBUTE,
    Definition,
    ModuleDefinitions,
    PromptArgumentSpec,
    PromptDefinition,
    ResourceDefinition,
    ToolDefinition,
    build_tool,
    prompt,
    resource,
    tool,
)
from mcpgen.authoring.errors import ToolError
from mcpgen.authoring.schema import DefinitionError

__all__ = [
    "ATTRIBUTE",
    "LOG_LEVELS",
    "Context",
    "ContextBackend",
    "Credential",
    "Definition",
    "DefinitionError",
    "LogLevel",
    "ModuleDefinitions",
    "PromptArgumentSpec",
    "PromptDefinition",
    "ResourceDefinition",
    "ToolDefinition",
    "ToolError",
    "build_tool",
    "collect",
    "import_file",
    "module_name",
    "prompt",
    "purge_workspace_modules",
    "resource",
    "tool",
]
