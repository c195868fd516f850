"""mcpgen: turn a folder of Python tools into a production MCP server.

Tool files import the authoring API from here::

    from mcpgen import Context, ToolError, tool
"""

from mcpgen._version import __version__
from mcpgen.authoring import (
    Audio,
    ClientInputError,
    Context,
    Credential,
    Elicitation,
    EmbeddedResource,
    Image,
    ResourceLink,
    Root,
    Sampled,
    ToolError,
    prompt,
    resource,
    tool,
)

__all__ = [
    "Audio",
    "ClientInputError",
    "Context",
    "Credential",
    "Elicitation",
    "EmbeddedResource",
    "Image",
    "ResourceLink",
    "Root",
    "Sampled",
    "ToolError",
    "__version__",
    "prompt",
    "resource",
    "tool",
]
