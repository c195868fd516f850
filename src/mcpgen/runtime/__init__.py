"""The generated MCP server: load a manifest, serve it over Streamable HTTP or stdio.

Public API::

    settings = Settings(root=Path("my-server"))
    app = create_app(manifest, settings)          # Starlette app: /mcp, /health*
    runtime_state(app).swap(Registry.load(...))   # reload: build new, then swap
    serve_http(manifest, settings)                # uvicorn; SIGTERM → graceful exit 0
    serve_stdio(manifest, settings)               # stdio transport

``python -m mcpgen.runtime --manifest FILE`` is the process entry point.
"""

from mcpgen.runtime.app import create_app, runtime_state
from mcpgen.runtime.executor import Executor, PythonExecutor
from mcpgen.runtime.protocol import build_server
from mcpgen.runtime.registry import LoadedPrompt, LoadedResource, LoadedTool, Registry
from mcpgen.runtime.serve import serve_http, serve_stdio
from mcpgen.runtime.settings import Settings
from mcpgen.runtime.state import RuntimeState

__all__ = [
    "Executor",
    "LoadedPrompt",
    "LoadedResource",
    "LoadedTool",
    "PythonExecutor",
    "Registry",
    "RuntimeState",
    "Settings",
    "build_server",
    "create_app",
    "runtime_state",
    "serve_http",
    "serve_stdio",
]
