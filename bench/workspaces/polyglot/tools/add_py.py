"""add_py: the trivial async Python tool."""

from mcpgen import tool


@tool(annotations={"readOnlyHint": True})
async def add_py(a: int, b: int) -> int:
    """Add two integers (Python)."""
    return a + b
