"""JSON Schema checks for tool input and output schemas (jsonschema-rs meta-validation).

MCP tool schemas are JSON Schema objects (``"type": "object"``); without a
``$schema`` they are read as Draft 2020-12. A schema must be valid against its
meta-schema and must compile, because the runtime compiles one validator per
tool. Remote ``$ref`` targets are refused instead of fetched: discovery never
touches the network and the runtime should not either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema_rs

from mcpgen.discovery import Diagnostic
from mcpgen.discovery.diagnostics import error, warning
from mcpgen.manifest import ToolEntry

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_KNOWN_DRAFTS = {
    "https://json-schema.org/draft/2019-09/schema": "2019-09",
    "http://json-schema.org/draft-07/schema": "draft-07",
    "http://json-schema.org/draft-06/schema": "draft-06",
    "http://json-schema.org/draft-04/schema": "draft-04",
}


def _refuse(uri: str) -> Any:
    raise ValueError(f"remote $ref {uri!r} is not fetched; inline it under $defs")


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return str(text).splitlines()[0] if str(text) else type(exc).__name__


def _pointer(exc: BaseException) -> str:
    path = getattr(exc, "instance_path", None) or []
    return "/" + "/".join(str(p) for p in path) if path else "the root"


def schema_problems(schema: object) -> tuple[list[str], list[str]]:
    """(errors, warnings) for one schema; empty lists when it is a valid object schema."""
    if not isinstance(schema, Mapping):
        return [f"must be a JSON object, got {type(schema).__name__}"], []
    document = dict(schema)
    declared = document.get("$schema")
    warnings: list[str] = []
    if declared is None:
        document["$schema"] = DRAFT_2020_12
    elif not isinstance(declared, str):
        return ["$schema must be a string"], []
    elif declared.rstrip("#") != DRAFT_2020_12:
        draft = _KNOWN_DRAFTS.get(declared.rstrip("#"))
        if draft is None:
            return [f"unknown $schema {declared!r}; use JSON Schema 2020-12"], []
        warnings.append(f"uses JSON Schema {draft}; MCP clients expect 2020-12")
    errors: list[str] = []
    try:
        jsonschema_rs.meta.validate(document)
    except jsonschema_rs.ValidationError as exc:
        errors.append(f"is not a valid JSON Schema at {_pointer(exc)}: {_first_line(exc)}")
    except jsonschema_rs.ReferencingError as exc:
        errors.append(f"cannot be checked: {_first_line(exc)}")
    if not errors:
        try:
            jsonschema_rs.validator_for(document, retriever=_refuse)
        except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError) as exc:
            errors.append(f"cannot be compiled: {_first_line(exc)}")
    if document.get("type") != "object":
        errors.append(f'must have "type": "object" (MCP), got {document.get("type")!r}')
    return errors, warnings


def check_tool_schemas(tools: list[ToolEntry]) -> list[Diagnostic]:
    """``invalid-schema`` errors (and dialect warnings) for every tool's input and output schema."""
    found: list[Diagnostic] = []
    for t in tools:
        schemas: list[tuple[str, object]] = [("inputSchema", t.input_schema)]
        if t.output_schema is not None:
            schemas.append(("outputSchema", t.output_schema))
        for label, schema in schemas:
            errors, warnings = schema_problems(schema)
            where = (t.source.path, t.source.line, t.name)
            found.extend(error("invalid-schema", f"tool {t.name!r}: {label} {e}", *where) for e in errors)
            found.extend(warning("schema-dialect", f"tool {t.name!r}: {label} {w}", *where) for w in warnings)
    return found
