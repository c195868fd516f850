"""The SDK's high-level ``MCPServer`` (mcp.server.mcpserver) serving summarize + add.

python bench/servers/sdk_mcpserver.py --port 8102 [--sse] [--extra-tools 50]
"""

from __future__ import annotations

from _common import ADD_DESCRIPTION, SUMMARIZE_DESCRIPTION, Style, parse_args, serve, summarize_impl
from mcp.server.mcpserver import MCPServer


def build(extra_tools: int) -> MCPServer:
    # log_level: MCPServer defaults to INFO, which logs a line per stateless request
    server = MCPServer("bench-sdk-mcpserver", log_level="WARNING")

    @server.tool(description=SUMMARIZE_DESCRIPTION)
    async def summarize(text: str, max_length: int = 100, style: Style = "paragraph") -> str:
        return summarize_impl(text, max_length, style)

    @server.tool(description=ADD_DESCRIPTION)
    async def add(a: int, b: int) -> int:
        return a + b

    for i in range(extra_tools):

        async def noop(x: int = 0) -> int:
            return x

        server.add_tool(noop, name=f"noop_{i}", description=f"Trivial tool number {i}.")
    return server


def main() -> None:
    args = parse_args(__doc__ or "")
    app = build(args.extra_tools).streamable_http_app(stateless_http=True, json_response=not args.sse)
    serve(app, args.port)


if __name__ == "__main__":
    main()
