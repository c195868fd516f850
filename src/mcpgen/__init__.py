"""mcpgen: turn a folder of Python tools into a production MCP server.

Tool files import the authoring API from here::

    from mcpgen import Context, ToolError, tool
"""

from mcpgen._version import __version__
from mcpgen.authoring import Context, Credential, ToolError, prompt, resource, tool

__all__ = [
    "Context",
    "Credential",
    "ToolError",
    "__version__",
    "prompt",
    "resource",
    "tool",
]
