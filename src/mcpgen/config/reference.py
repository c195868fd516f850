"""The config schema as documentation: JSON Schema export and a field-by-field reference.

:func:`field_tree` walks the models once and describes every field (path,
description, valid values, default, overriding environment variable); the
rendered config files (:mod:`mcpgen.config.render`) and the tables in
``docs/configuration.md`` (:func:`reference_markdown`) are both built from it,
so the three never disagree. Regenerate the doc with
``python -m mcpgen.config docs/configuration.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel, ByteSize

from mcpgen.config.layers import ENV_PREFIX, model_of
from mcpgen.config.models import Config

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://mcpgen.dev/schemas/config.schema.json"
BEGIN = "<!-- BEGIN GENERATED: config reference (python -m mcpgen.config docs/configuration.md) -->"
END = "<!-- END GENERATED: config reference -->"
NAME = "<name>"
"""Stands for a map key (a service or tool name) in documented paths."""


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of ``config.yaml``, as written to ``config/schema.json``."""
    schema = Config.model_json_schema(mode="validation")
    return {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_ID, **schema}


@dataclass(frozen=True)
class FieldDoc:
    """One documented field. ``children`` are set for sections and for maps of sections."""

    path: tuple[str, ...]
    description: str
    valid: str
    default: Any
    secret: bool = False
    is_map: bool = False
    children: tuple[FieldDoc, ...] = field(default_factory=tuple)

    @property
    def key(self) -> str:
        return self.path[-1]

    @property
    def dotted(self) -> str:
        return ".".join(self.path)

    @property
    def env_var(self) -> str:
        parts = [p.upper() if p != NAME else "<NAME>" for p in self.path]
        return ENV_PREFIX + "__".join(parts) + ("__<KEY>" if self.is_map and not self.children else "")

    @property
    def is_section(self) -> bool:
        return bool(self.children) and not self.is_map


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        resolved: dict[str, Any] = defs[ref.rsplit("/", 1)[-1]]
        return resolved
    return schema


def _number(schema: dict[str, Any], noun: str) -> str:
    bounds = []
    for key, sign in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
    ):
        if key in schema:
            bounds.append(f"{sign} {schema[key]}")
    return f"{noun} {', '.join(bounds)}".strip()


def describe_type(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    """Valid values of a field, in words, from its JSON Schema."""
    schema = _resolve(schema, defs)
    options = [_resolve(s, defs) for s in schema.get("anyOf", [])]
    if options:
        real = [s for s in options if s.get("type") != "null"]
        text = " or ".join(describe_type(s, defs) for s in real)
        if "pattern" in schema:
            text = text.replace("string", f"string matching {schema['pattern']}", 1)
        return f"{text}, or null" if len(real) < len(options) else text
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    kind = schema.get("type")
    if kind == "boolean":
        return "true or false"
    if kind == "integer":
        return _number(schema, "integer")
    if kind == "number":
        return _number(schema, "number")
    if kind == "string":
        if schema.get("format") == "password":
            return "string (secret)"
        if "pattern" in schema:
            return f"string matching {schema['pattern']}"
        return "non-empty string" if schema.get("minLength") else "string"
    if kind == "array":
        return "list of " + describe_type(schema.get("items", {}), defs).replace("string", "strings", 1)
    if kind == "object":
        values = schema.get("additionalProperties")
        inner = describe_type(values, defs) if isinstance(values, dict) and values else "any value"
        return f"map of name to {inner}"
    return "any value"


def _fields(
    model: type[BaseModel], prefix: tuple[str, ...], defaults: Any, defs: dict[str, Any]
) -> list[FieldDoc]:
    properties = model.model_json_schema(mode="validation")["properties"]
    docs: list[FieldDoc] = []
    for name, info in model.model_fields.items():
        path = (*prefix, name)
        default = defaults.get(name) if isinstance(defaults, dict) else None
        sub, is_map = model_of(info.annotation)
        children: tuple[FieldDoc, ...] = ()
        if sub is not None:
            sub_defaults = sub().model_dump(mode="json") if is_map else default
            children = tuple(_fields(sub, (*path, NAME) if is_map else path, sub_defaults, defs))
        if info.annotation is ByteSize:
            valid = "bytes (integer ≥ 0) or a size with a unit: 4MiB, 512KB"
        elif sub is not None and not is_map:
            valid = "section"
        else:
            valid = describe_type(properties[name], defs)
        description = (info.description or "").strip()
        docs.append(
            FieldDoc(
                path=path,
                description=description,
                valid=valid,
                default=default,
                secret="password" in json.dumps(properties[name]),
                is_map=is_map or (sub is None and properties[name].get("type") == "object"),
                children=children,
            )
        )
    return docs


@cache
def field_tree() -> tuple[FieldDoc, ...]:
    """Every section of :class:`~mcpgen.config.models.Config`, with its fields, in model order."""
    defs = config_json_schema().get("$defs", {})
    return tuple(_fields(Config, (), Config().model_dump(mode="json"), defs))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default_text(value: Any) -> str:
    return "—" if value is None else f"`{json.dumps(value)}`"


def _table(rows: list[FieldDoc]) -> list[str]:
    lines = ["| key | valid values | default | env var | description |", "|---|---|---|---|---|"]
    for doc in rows:
        lines.append(
            f"| `{doc.dotted}` | {_cell(doc.valid)} | {_default_text(doc.default)} | "
            f"`{doc.env_var}` | {_cell(doc.description)} |"
        )
    return lines


def _flatten(docs: tuple[FieldDoc, ...]) -> list[FieldDoc]:
    rows: list[FieldDoc] = []
    for doc in docs:
        if doc.is_section:
            rows += _flatten(doc.children)
        else:
            rows.append(doc)
    return rows


def reference_markdown() -> str:
    """The generated part of ``docs/configuration.md``: one table per section."""
    lines: list[str] = []
    for section in field_tree():
        lines += [f"### `{section.key}`", "", section.description, ""]
        if section.is_section:
            lines += _table(_flatten(section.children))
        elif section.children:
            lines += [f"Env: `{section.env_var}__<NAME>__<KEY>`. Each entry:", ""]
            lines += _table(_flatten(section.children))
        else:
            lines += [
                f"{_cell(section.valid).capitalize()}; default {_default_text(section.default)}; "
                f"env `{section.env_var}`."
            ]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def update_doc(text: str) -> str:
    """``text`` with the generated block between the markers replaced by :func:`reference_markdown`."""
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError("the document lacks the generated-reference markers")
    return f"{head}{BEGIN}\n\n{reference_markdown()}\n{END}{tail}"
