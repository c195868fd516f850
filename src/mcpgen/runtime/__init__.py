"""The generated MCP server: load a manifest, serve it over Streamable HTTP or stdio.

Public API::

    settings = Settings.of(Path("my-server"), host="0.0.0.0")  # nested: settings.http.host, ...
    app = create_app(manifest, settings)          # Starlette app: /mcp, /health*
    runtime_state(app).swap(Registry.load(...))   # reload: build new, then swap
    serve_http(manifest, settings)                # uvicorn; SIGTERM → graceful exit 0
    serve_stdio(manifest, settings)               # stdio transport

``python -m mcpgen.runtime --manifest FILE`` is the process entry point.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcpgen.runtime.app import create_app, runtime_state
    from mcpgen.runtime.executors import Executor, PythonExecutor, ThreadPool
    from mcpgen.runtime.pipeline import CallContext, CallError, ClientIdentity, Middleware, Pipeline
    from mcpgen.runtime.registry import LoadedPrompt, LoadedResource, LoadedTool, Registry
    from mcpgen.runtime.serve import serve_http, serve_stdio
    from mcpgen.runtime.settings import Settings
    from mcpgen.runtime.state import RuntimeState
    from mcpgen.runtime.transport.sdk import build_server

# Importing the MCP SDK takes ~0.7 s; the generator commands (validate, manifest, ...) import
# `mcpgen.runtime.logs` and `mcpgen.runtime.settings` only, so the package resolves names lazily.
_LOCATIONS = {
    "create_app": "app",
    "runtime_state": "app",
    "CallContext": "pipeline",
    "CallError": "pipeline",
    "ClientIdentity": "pipeline",
    "Executor": "executors",
    "Middleware": "pipeline",
    "Pipeline": "pipeline",
    "PythonExecutor": "executors",
    "ThreadPool": "executors",
    "build_server": "transport.sdk",
    "LoadedPrompt": "registry",
    "LoadedResource": "registry",
    "LoadedTool": "registry",
    "Registry": "registry",
    "serve_http": "serve",
    "serve_stdio": "serve",
    "Settings": "settings",
    "RuntimeState": "state",
}


def __getattr__(name: str) -> Any:
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module 'mcpgen.runtime' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"mcpgen.runtime.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CallContext",
    "CallError",
    "ClientIdentity",
    "Executor",
    "LoadedPrompt",
    "LoadedResource",
    "LoadedTool",
    "Middleware",
    "Pipeline",
    "PythonExecutor",
    "Registry",
    "RuntimeState",
    "Settings",
    "ThreadPool",
    "build_server",
    "create_app",
    "runtime_state",
    "serve_http",
    "serve_stdio",
]
