"""The authoring API tool files import (re-exported from ``mcpgen``)."""

from mcpgen.authoring.collect import collect
from mcpgen.authoring.connectors import (
    Connector,
    ConnectorDefinition,
    ConnectorSettings,
    DatabaseSettings,
    Health,
    connector,
    credential_role,
)
from mcpgen.authoring.content import Audio, Content, EmbeddedResource, Image, ResourceLink
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
from mcpgen.authoring.errors import (
    ClientInputError,
    ConnectorAuthError,
    ConnectorError,
    ConnectorUnavailable,
    MissingClientCapability,
    NoBackChannel,
    RateLimited,
    ToolError,
)
from mcpgen.authoring.imports import import_file, module_name, purge_workspace_modules
from mcpgen.authoring.interaction import Elicitation, Root, Sampled
from mcpgen.authoring.schema import DefinitionError

__all__ = [
    "ATTRIBUTE",
    "LOG_LEVELS",
    "Audio",
    "ClientInputError",
    "Connector",
    "ConnectorAuthError",
    "ConnectorDefinition",
    "ConnectorError",
    "ConnectorSettings",
    "ConnectorUnavailable",
    "Content",
    "Context",
    "ContextBackend",
    "Credential",
    "DatabaseSettings",
    "Definition",
    "DefinitionError",
    "Elicitation",
    "EmbeddedResource",
    "Health",
    "Image",
    "LogLevel",
    "MissingClientCapability",
    "ModuleDefinitions",
    "NoBackChannel",
    "PromptArgumentSpec",
    "PromptDefinition",
    "RateLimited",
    "ResourceDefinition",
    "ResourceLink",
    "Root",
    "Sampled",
    "ToolDefinition",
    "ToolError",
    "build_tool",
    "collect",
    "connector",
    "credential_role",
    "import_file",
    "module_name",
    "prompt",
    "purge_workspace_modules",
    "resource",
    "tool",
]
