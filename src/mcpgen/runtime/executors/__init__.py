"""Executors: the one interface that runs user code, and its Python and Node implementations.

Every loaded tool, resource and prompt carries an :class:`Executor`
(``LoadedTool.executor``), so the pipeline's call site has no language
branches: it builds an :class:`Invocation` and awaits ``executor.execute``.
The time limit, cancellation and the mapping of failures to MCP answers live
once, in :mod:`mcpgen.runtime.pipeline`; an executor only runs the code and
raises what went wrong (:class:`~mcpgen.authoring.ToolError`,
:class:`InvalidArguments`, or the user's own exception).
"""

from mcpgen.runtime.executors.base import Executor, InvalidArguments, Invocation, Passthrough
from mcpgen.runtime.executors.node import NodeExecutor
from mcpgen.runtime.executors.python import PythonExecutor, ThreadPool

__all__ = [
    "Executor",
    "InvalidArguments",
    "Invocation",
    "NodeExecutor",
    "Passthrough",
    "PythonExecutor",
    "ThreadPool",
]
