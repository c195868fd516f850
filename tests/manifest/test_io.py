from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from mcpgen import manifest as m
from mcpgen.errors import ManifestError


def _manifest() -> m.Manifest:
    def entry(name: str) -> m.ToolEntry:
        return m.ToolEntry(
            name=name,
            description=name,
            input_schema={"type": "object", "properties": {}},
            entrypoint=m.Entrypoint(path=f"tools/{name}.py", attribute=name),
            source=m.SourceRef(path=f"tools/{name}.py", line=3),
        )

    return m.Manifest(mcpgen_version="1.0", server=m.ServerInfo(name="s"), tools=[entry("b"), entry("a")])


def test_dump_is_canonical_and_round_trips(tmp_path: Path) -> None:
    manifest = _manifest()
    data = m.dumps(manifest)
    assert [t["name"] for t in orjson.loads(data)["tools"]] == ["a", "b"]
    assert m.dumps(m.loads(data)) == data
    path = tmp_path / "deep" / "manifest.json"
    m.write(manifest, path)
    assert path.read_bytes() == data
    assert m.load(path) == m.canonical(manifest)
    assert m.digest(manifest) == m.digest(m.loads(data))


def test_camel_case_on_the_wire() -> None:
    data = orjson.loads(m.dumps(_manifest()))
    assert data["manifestVersion"] == 1
    assert "inputSchema" in data["tools"][0]
    assert "mcpgenVersion" in data


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'{"manifestVersion": 2}', "manifestVersion 2"),
        (b'{"manifestVersion": 1, "server": {"name": "x"}}', "mcpgenVersion"),
    ],
)
def test_bad_manifests_are_clear_errors(text: bytes, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        m.loads(text)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read manifest"):
        m.load(tmp_path / "nope.json")


def test_published_schema_validates_a_manifest() -> None:
    import jsonschema_rs

    schema = m.json_schema()
    validator = jsonschema_rs.validator_for(schema)
    validator.validate(orjson.loads(m.dumps(_manifest())))
    assert not validator.is_valid({"manifestVersion": 1})
