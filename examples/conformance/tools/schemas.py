"""Tools with hand-written input schemas."""

from typing import Annotated

from pydantic import Field

from mcpgen import tool

CONTACT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "$anchor": "addressDef",
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}


@tool(input_schema=CONTACT_SCHEMA, description="Tool with JSON Schema 2020-12 features")
def json_schema_2020_12_tool(**contact: object) -> str:
    """Record a contact (the schema is validated before this runs)."""
    return f"contact: {sorted(contact)}"


@tool
def test_custom_headers(
    region: Annotated[str, Field(json_schema_extra={"x-mcp-header": "Region"})],
    priority: Annotated[int, Field(json_schema_extra={"x-mcp-header": "Priority"})] = 0,
) -> str:
    """Echo parameters that clients mirror into Mcp-Param-* headers (SEP-2243).

    Args:
        region: Region to route to
        priority: Request priority
    """
    return f"region={region} priority={priority}"
