from __future__ import annotations

from pathlib import Path

import jsonschema_rs
import pytest

from mcpgen.config import Config, config_json_schema, render_config
from mcpgen.config.reader import parse_yaml
from mcpgen.config.reference import BEGIN, END, field_tree, reference_markdown, update_doc

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_docs_reference_is_up_to_date() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert update_doc(text) == text, "run: python -m mcpgen.config docs/configuration.md"


def test_update_doc_replaces_only_the_generated_block() -> None:
    text = f"intro\n{BEGIN}\nstale\n{END}\noutro\n"
    updated = update_doc(text)
    assert updated.startswith(f"intro\n{BEGIN}\n")
    assert updated.endswith(f"{END}\noutro\n")
    assert "stale" not in updated
    assert reference_markdown() in updated
    with pytest.raises(ValueError, match="markers"):
        update_doc("no markers")


def test_every_field_is_described() -> None:
    def walk(docs):  # type: ignore[no-untyped-def]
        for doc in docs:
            yield doc
            yield from walk(doc.children)

    undocumented = [doc.dotted for doc in walk(field_tree()) if not doc.description]
    assert undocumented == []


def test_schema_is_draft_2020_12_and_accepts_defaults_and_rendered_base() -> None:
    schema = config_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert jsonschema_rs.meta.is_valid(schema)
    validator = jsonschema_rs.Draft202012Validator(schema)
    assert validator.is_valid(Config().model_dump(mode="json"))
    rendered = parse_yaml(render_config([], "base", server_name="demo"), "config.yaml").data
    assert validator.is_valid(rendered)
    assert not validator.is_valid({"server": {"port": "x"}})
    assert not validator.is_valid({"nosuch": {}})
    assert validator.is_valid({"features": {"anything": True}, "services": {"s": {"extras": {"x": [1]}}}})


def test_schema_marks_secrets_and_append_lists() -> None:
    schema = config_json_schema()
    defs = schema["$defs"]
    assert {"format": "password", "type": "string", "writeOnly": True} in defs["ServiceConfig"]["properties"][
        "api_key"
    ]["anyOf"]
    assert defs["PluginsConfig"]["properties"]["paths"]["x-merge"] == "append"
