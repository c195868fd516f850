"""mcpgen: turn a folder of Python tools into a production MCP server.

Tool files import the authoring API from here::

    from mcpgen import Context, ToolError, tool

and connector files ``from mcpgen import Connector, Credential, connector``.
"""

from mcpgen._version import __version__
from mcpgen.authoring import (
    Audio,
    ClientInputError,
    Connector,
    ConnectorAuthError,
    ConnectorError,
    ConnectorSettings,
    ConnectorUnavailable,
    Context,
    Credential,
    Elicitation,
    EmbeddedResource,
    Health,
    Image,
    RateLimited,
    ResourceLink,
    Root,
    Sampled,
    ToolError,
    connector,
    prompt,
    resource,
    tool,
)

__all__ = [
    "Audio",
    "ClientInputError",
    "Connector",
    "ConnectorAuthError",
    "ConnectorError",
    "ConnectorSettings",
    "ConnectorUnavailable",
    "Context",
    "Credential",
    "Elicitation",
    "EmbeddedResource",
    "Health",
    "Image",
    "RateLimited",
    "ResourceLink",
    "Root",
    "Sampled",
    "ToolError",
    "__version__",
    "connector",
    "prompt",
    "resource",
    "tool",
]
