from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mcpgen.manifest import ToolEntry
from mcpgen.validation.schemas import check_tool_schemas, schema_problems

MakeTool = Callable[..., ToolEntry]


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object"},
        {"type": "object", "properties": {"a": {"type": "string", "minLength": 1}}, "required": ["a"]},
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"},
        {"type": "object", "properties": {"p": {"$ref": "#/$defs/P"}}, "$defs": {"P": {"type": "integer"}}},
        {"type": "object", "properties": {"items": {"type": "array", "prefixItems": [{"type": "string"}]}}},
    ],
)
def test_valid_object_schemas(schema: dict[str, Any]) -> None:
    assert schema_problems(schema) == ([], [])


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        ({"type": "object", "properties": {"q": {"type": "strang"}}}, "/properties/q/type"),
        ({"type": "object", "properties": {"q": {"minLength": -1}}}, "/properties/q/minLength"),
        ({"type": "object", "required": "q"}, "/required"),
        ({"type": "object", "prefixItems": 5}, "/prefixItems"),
        ({"type": "string"}, '"type": "object"'),
        ({"properties": {}}, '"type": "object"'),
        ({"$schema": "https://example.com/custom", "type": "object"}, "unknown $schema"),
        ({"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}, "cannot be compiled"),
        ({"type": "object", "properties": {"a": {"$ref": "https://example.com/s.json"}}}, "not fetched"),
    ],
)
def test_invalid_schemas(schema: dict[str, Any], fragment: str) -> None:
    errors, _ = schema_problems(schema)
    assert errors
    assert fragment in " ".join(errors)


def test_non_mapping_schema() -> None:
    errors, _ = schema_problems(["type", "object"])
    assert errors == ["must be a JSON object, got list"]


def test_other_drafts_are_checked_against_their_meta_schema_with_a_warning() -> None:
    draft7 = "http://json-schema.org/draft-07/schema#"
    assert schema_problems({"$schema": draft7, "type": "object"}) == (
        [],
        ["uses JSON Schema draft-07; MCP clients expect 2020-12"],
    )
    errors, _ = schema_problems({"$schema": draft7, "type": "object", "required": "x"})
    assert errors


def test_tool_diagnostics_cover_input_and_output_schemas(make_tool: MakeTool) -> None:
    tool = make_tool(
        "t",
        "tools/t.py",
        5,
        input_schema={"type": "object", "properties": {"q": {"type": "strang"}}},
        output_schema={"type": "array"},
    )
    found = check_tool_schemas([tool, make_tool("ok")])
    assert [(d.code, d.path, d.line, d.name) for d in found] == [
        ("invalid-schema", "tools/t.py", 5, "t"),
        ("invalid-schema", "tools/t.py", 5, "t"),
    ]
    assert "inputSchema" in found[0].message
    assert "outputSchema" in found[1].message
