"""OpenAPI specs in openapi/ → tool entries: names, schemas, $refs, auth, filters, and bad specs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from mcpgen.config.reader import parse_yaml
from mcpgen.discovery import OpenApiOptions, discover
from mcpgen.discovery.openapi import api_credential, json_lines, load_openapi, tool_name
from mcpgen.manifest import ToolEntry
from petstore import SPEC

LEGACY_YAML = """\
openapi: 3.0.3
info: {title: Legacy, version: "1"}
servers:
  - url: https://{region}.example.com/api
    variables:
      region: {default: eu}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Item:
      type: object
      properties:
        note: {type: string, nullable: true, example: hi}
        size: {type: integer, minimum: 1, exclusiveMinimum: true}
security:
  - bearer: []
paths:
  /items/{id}:
    put:
      operationId: put/item
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: id, in: query, schema: {type: string}}
        - {name: Accept, in: header, schema: {type: string}}
      requestBody:
        content:
          application/json:
            schema:
              type: array
              items: {$ref: '#/components/schemas/Item'}
    post:
      operationId: put/item
      requestBody:
        content:
          multipart/form-data:
            schema: {type: object}
"""


def write_spec(root: Path, name: str, spec: Any) -> None:
    (root / "openapi").mkdir(parents=True, exist_ok=True)
    text = spec if isinstance(spec, str) else json.dumps(spec, indent=2)
    (root / "openapi" / name).write_text(text)


def line_of(file: Path, text: str, after: int = 0) -> int:
    """The 1-based line of ``file`` that contains ``text`` (the first past line ``after``)."""
    return next(n for n, line in enumerate(file.read_text().splitlines(), 1) if n > after and text in line)


def by_name(entries: list[ToolEntry]) -> dict[str, ToolEntry]:
    return {e.name: e for e in entries}


def test_every_operation_becomes_a_tool_with_its_parameters_body_and_auth(tmp_path: Path) -> None:
    write_spec(tmp_path, "pets.json", SPEC)
    tools, diagnostics = load_openapi(tmp_path)
    assert diagnostics == []
    found = by_name(tools)
    assert sorted(found) == ["createPet", "delete_pets_petId", "health", "listPets", "show_pet_by_id"]
    show = found["show_pet_by_id"]
    assert show.input_schema["required"] == ["petId"]  # path-level $ref'd parameter, always required
    assert set(show.input_schema["properties"]) == {"petId", "X-Trace"}
    assert show.annotations == {"openWorldHint": True, "readOnlyHint": True, "idempotentHint": True}
    assert (show.entrypoint.language, show.entrypoint.attribute) == ("openapi", "/paths/~1pets~1{petId}/get")
    assert show.source.path == "openapi/pets.json"
    spec = tmp_path / "openapi/pets.json"
    assert show.source.line == line_of(spec, '"get": {', line_of(spec, '"/pets/{petId}": {'))
    http = show.http
    assert http is not None
    assert (http.api, http.method, http.path, http.base_url) == (
        "pets",
        "GET",
        "/pets/{petId}",
        "/v1",
    )
    assert [(p.name, p.location) for p in http.parameters] == [("petId", "path"), ("X-Trace", "header")]
    assert [(a.kind, a.location, a.name, a.credential) for a in http.auth] == [
        ("api_key", "header", "X-API-Key", "PETS_API_KEY")
    ]
    assert [(c.name, c.kind, c.required) for c in show.credentials] == [("PETS_API_KEY", "api_key", True)]
    create = found["createPet"]
    assert create.http is not None
    assert create.http.body_fields == [
        "name",
        "tag",
        "category",
    ]  # readOnly id dropped
    assert create.input_schema["required"] == ["name"]
    parent = create.input_schema["properties"]["category"]["properties"]["parent"]
    assert "recursive" in parent["description"]  # the recursive $ref is cut, the schema is finite
    jsonschema_rs.Draft202012Validator(create.input_schema)
    assert found["health"].credentials == []
    assert found["health"].http.auth == []  # type: ignore[union-attr]


def test_openapi_3_0_yaml_conversion_and_name_collisions(tmp_path: Path) -> None:
    write_spec(tmp_path, "legacy.yaml", LEGACY_YAML)
    tools, diagnostics = load_openapi(tmp_path)
    put = by_name(tools)["put_item"]
    assert put.http is not None
    assert put.http.base_url == "https://eu.example.com/api"
    schema = put.input_schema
    assert set(schema["properties"]) == {"id_path", "id_query", "body"}  # Accept is not a parameter
    item = schema["properties"]["body"]["items"]
    assert item["properties"]["note"] == {"type": ["string", "null"], "examples": ["hi"]}
    assert item["properties"]["size"] == {"type": "integer", "exclusiveMinimum": 1}
    assert put.http.body_argument == "body"
    assert put.credentials[0].name == "LEGACY_BEARER"
    assert [(d.code, d.severity) for d in diagnostics] == [("openapi-unsupported", "warning")]
    assert "multipart/form-data" in diagnostics[0].message
    assert diagnostics[0].line == LEGACY_YAML.splitlines().index("      requestBody:", 26) + 1


def test_include_and_exclude_by_tag_and_path_and_prefix(tmp_path: Path) -> None:
    write_spec(tmp_path, "pets.json", SPEC)
    only_pets = OpenApiOptions(include_tags=("pets",), exclude_paths=("/pets/*",), prefix="pets_")
    tools, _ = load_openapi(tmp_path, {"pets": only_pets})
    assert sorted(by_name(tools)) == ["pets_createPet", "pets_listPets"]
    tools, _ = load_openapi(
        tmp_path, {"pets": OpenApiOptions(exclude_tags=("admin",), include_paths=("/pets*",))}
    )
    assert sorted(by_name(tools)) == ["createPet", "listPets", "show_pet_by_id"]


def test_a_bad_spec_names_the_file_line_and_pointer_and_the_rest_still_loads(tmp_path: Path) -> None:
    write_spec(tmp_path, "pets.json", SPEC)
    broken = copy.deepcopy(SPEC)
    broken["paths"]["/pets"]["post"]["requestBody"] = {"$ref": "#/components/requestBodies/Missing"}
    write_spec(tmp_path, "broken.json", broken)
    write_spec(tmp_path, "bad.yaml", "openapi: 3.1.0\npaths:\n  /x: [unclosed\n")
    write_spec(tmp_path, "old.yaml", "swagger: '2.0'\npaths: {}\n")
    result = discover(tmp_path)
    names = {t.name for t in result.tools}
    assert {"listPets", "createPet", "show_pet_by_id"} <= names  # pets.json still works
    problems = {d.path: d for d in result.diagnostics if d.is_error}
    ref = problems["openapi/broken.json"]
    assert "createPet" not in {t.name for t in result.tools if t.source.path == "openapi/broken.json"}
    assert "/components/requestBodies/Missing" in ref.message
    assert "/paths/~1pets/post/requestBody" in ref.message
    assert ref.code == "openapi-invalid"
    assert (
        ref.line
        == line_of(tmp_path / "openapi/broken.json", '"$ref": "#/components/requestBodies/Missing"') - 1
    )
    bad = problems["openapi/bad.yaml"]
    assert "does not parse" in bad.message
    assert bad.line == 4
    old = problems["openapi/old.yaml"]
    assert "Swagger 2.0" in old.message
    assert old.line == 1


def test_a_missing_configured_spec_is_an_error(tmp_path: Path) -> None:
    _, diagnostics = load_openapi(tmp_path, {"github": OpenApiOptions()})
    assert [(d.code, d.path) for d in diagnostics] == [("openapi-missing", "mcpgen.yaml")]


@pytest.mark.parametrize(
    ("raw", "taken", "expected"),
    [("show pet/by id", set(), "show_pet_by_id"), ("a", {"a", "a_2"}, "a_3"), ("é!", set(), "operation")],
)
def test_tool_names_are_valid_and_unique(raw: str, taken: set[str], expected: str) -> None:
    assert tool_name(raw, set(taken)) == expected


def test_credential_names() -> None:
    assert api_credential("pets", "api_key") == "PETS_API_KEY"
    assert api_credential("my-api", "bearerAuth") == "MY_API_BEARER_AUTH"


def test_json_key_lines_match_the_yaml_reader_and_bad_json_names_its_line(tmp_path: Path) -> None:
    text = json.dumps(SPEC, indent=2) + '\n{"odd": "a\\"b[{,"}'
    valid = json.dumps({**SPEC, "x-odd": ['a"b[{,', {"k": 1}]}, indent=1)
    assert json_lines(valid) == parse_yaml(valid, "x").lines
    write_spec(tmp_path, "broken.json", text)
    _, diagnostics = load_openapi(tmp_path)
    assert [(d.code, d.line) for d in diagnostics] == [("openapi-invalid", text.count("\n") + 1)]
    assert "invalid JSON: Extra data" in diagnostics[0].message
