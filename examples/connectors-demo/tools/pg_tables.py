"""pg_tables: list the tables the database role can see, via ``ctx.connector("postgres")``."""

from __future__ import annotations

from typing import Any

from mcpgen import Context, tool

TABLES_SQL = """
SELECT table_schema, table_name, table_type
FROM information_schema.tables
WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
  AND (%(schema)s::text IS NULL OR table_schema = %(schema)s::text)
ORDER BY table_schema, table_name
"""


@tool(annotations={"readOnlyHint": True, "openWorldHint": True})
async def pg_tables(ctx: Context, schema_name: str | None = None) -> list[dict[str, Any]]:
    """List the tables and views in the PostgreSQL database (optionally of one schema)."""
    postgres = ctx.connector("postgres")
    result = await postgres.query(TABLES_SQL, {"schema": schema_name})
    return [dict(zip(result["columns"], row, strict=True)) for row in result["rows"]]
