"""The stdio transport: the SDK's stdio server around our low-level server."""

from __future__ import annotations

import sys
from contextlib import redirect_stdout
from typing import Any

from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server


async def run_stdio(server: Server[Any]) -> None:
    """Serve ``server`` over this process's stdin/stdout until stdin closes.

    Nothing but protocol reaches stdout: the SDK points fd 1 at stderr while
    serving (keeping a private duplicate for the wire), and ``sys.stdout`` is
    redirected to ``sys.stderr`` as well, so a tool that prints cannot
    corrupt the stream.
    """
    async with stdio_server() as (read_stream, write_stream):
        # Redirect only after the transport has claimed the real stdout.
        with redirect_stdout(sys.stderr):
            await server.run(read_stream, write_stream, server.create_initialization_options())
