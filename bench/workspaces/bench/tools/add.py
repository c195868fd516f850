"""add: the trivial tool of the benchmarks (what is measured is the framework, not the work)."""

from mcpgen import tool


@tool(annotations={"readOnlyHint": True, "idempotentHint": True})
async def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: First addend.
        b: Second addend.
    """
    return a + b
