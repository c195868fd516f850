"""pg_query: run a read-only SQL query with parameters against the PostgreSQL connector.

The connector arrives by annotation (``postgres: Postgres``): mcpgen injects the
connected instance and leaves the parameter out of the input schema. Values go
in ``params`` and reach the server as bound parameters, never as SQL text.
"""

from __future__ import annotations

from typing import Any

from connectors.postgres import Postgres

from mcpgen import tool

Scalar = str | int | float | bool | None


@tool(annotations={"readOnlyHint": True, "openWorldHint": True})
async def pg_query(sql: str, postgres: Postgres, params: list[Scalar] | None = None) -> dict[str, Any]:
    """Run one read-only SQL statement on the PostgreSQL database and return its rows.

    Args:
        sql: One SELECT/WITH/VALUES/SHOW/EXPLAIN statement. Use %s placeholders for values,
            e.g. "SELECT * FROM books WHERE author = %s".
        params: Values for the %s placeholders, in order; they are sent as bound parameters.

    Returns columns, rows (lists in column order), row_count and truncated (true when
    rows were cut at the configured max_rows).
    """
    return await postgres.query(sql, params or None)
