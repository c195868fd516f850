"""A plain FastMCP server (the newest installable, from bench/.venv) serving summarize + add.

bench/.venv/bin/python bench/servers/fastmcp_server.py --port 8101 [--sse] [--extra-tools 50]
"""

from __future__ import annotations

from _common import ADD_DESCRIPTION, SUMMARIZE_DESCRIPTION, Style, parse_args, serve, summarize_impl
from fastmcp import FastMCP


def build(extra_tools: int) -> FastMCP:
    server = FastMCP("bench-fastmcp")

    @server.tool(description=SUMMARIZE_DESCRIPTION)
    async def summarize(text: str, max_length: int = 100, style: Style = "paragraph") -> str:
        return summarize_impl(text, max_length, style)

    @server.tool(description=ADD_DESCRIPTION)
    async def add(a: int, b: int) -> int:
        return a + b

    for i in range(extra_tools):

        async def noop(x: int = 0) -> int:
            return x

        server.tool(noop, name=f"noop_{i}", description=f"Trivial tool number {i}.")
    return server


def main() -> None:
    args = parse_args(__doc__ or "")
    app = build(args.extra_tools).http_app(path="/mcp", stateless_http=True, json_response=not args.sse)
    serve(app, args.port)


if __name__ == "__main__":
    main()
