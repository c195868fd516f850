"""The SDK's bare low-level ``Server`` serving summarize + add: the floor mcpgen is measured against.

Hand-written handlers, no argument validation beyond what the tool bodies do
(the low-level server validates nothing itself), ``get_tool_input_schema``
passed so the 2026-07-28 path does not call ``tools/list`` on every request.

    python bench/servers/sdk_lowlevel.py --port 8103 [--sse] [--extra-tools 50]
"""

from __future__ import annotations

from typing import Any

import mcp_types as types
from _common import (
    ADD_DESCRIPTION,
    ADD_SCHEMA,
    NOOP_SCHEMA,
    SUMMARIZE_DESCRIPTION,
    SUMMARIZE_SCHEMA,
    parse_args,
    serve,
    summarize_impl,
)
from mcp.server.lowlevel import Server


def build(extra_tools: int) -> Server[Any]:
    tools = [
        types.Tool(name="summarize", description=SUMMARIZE_DESCRIPTION, input_schema=SUMMARIZE_SCHEMA),
        types.Tool(
            name="add",
            description=ADD_DESCRIPTION,
            input_schema=ADD_SCHEMA,
            output_schema={
                "type": "object",
                "properties": {"result": {"type": "integer"}},
                "required": ["result"],
            },
        ),
        *(
            types.Tool(name=f"noop_{i}", description=f"Trivial tool number {i}.", input_schema=NOOP_SCHEMA)
            for i in range(extra_tools)
        ),
    ]
    schemas = {t.name: t.input_schema for t in tools}

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        args = params.arguments or {}
        try:
            if params.name == "summarize":
                text = summarize_impl(
                    args["text"], args.get("max_length", 100), args.get("style", "paragraph")
                )
                return types.CallToolResult(content=[types.TextContent(type="text", text=text)])
            if params.name == "add":
                value = args["a"] + args["b"]
                return types.CallToolResult(
                    content=[types.TextContent(type="text", text=str(value))],
                    structured_content={"result": value},
                )
            if params.name in schemas:
                value = args.get("x", 0)
                return types.CallToolResult(
                    content=[types.TextContent(type="text", text=str(value))],
                    structured_content={"result": value},
                )
        except (KeyError, TypeError, ValueError) as exc:
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=str(exc))], is_error=True
            )
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=f"unknown tool {params.name}")], is_error=True
        )

    return Server(
        "bench-sdk-lowlevel",
        get_tool_input_schema=schemas.get,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def main() -> None:
    args = parse_args(__doc__ or "")
    app = build(args.extra_tools).streamable_http_app(stateless_http=True, json_response=not args.sse)
    serve(app, args.port)


if __name__ == "__main__":
    main()
