"""Tools that send logging and progress notifications while they run."""

import asyncio

from mcpgen import Context, tool


@tool
async def test_tool_with_logging(ctx: Context) -> str:
    """Send three info log messages while running."""
    await ctx.info("Tool execution started")
    await asyncio.sleep(0.05)
    await ctx.info("Tool processing data")
    await asyncio.sleep(0.05)
    await ctx.info("Tool execution completed")
    return "Tool with logging executed successfully"


@tool
async def test_logging_tool(ctx: Context) -> str:
    """Log one info message (delivered only to clients that asked for log messages)."""
    await ctx.info("log line from test_logging_tool")
    return "logged"


@tool
async def test_tool_with_progress(ctx: Context) -> str:
    """Report progress 0, 50 and 100 of 100."""
    for step in (0, 50, 100):
        await ctx.report_progress(step, 100)
        await asyncio.sleep(0.05)
    return "Tool with progress executed successfully"
