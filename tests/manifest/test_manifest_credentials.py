"""Credentials in the manifest: ``mcpgen.Credential`` itself in entries, a subclass for the merged list."""

from __future__ import annotations

import orjson
import pytest

import mcpgen
from mcpgen import manifest as m
from mcpgen.errors import ManifestError

DECLARED_KEYS = {"name", "kind", "required", "description", "pattern", "choices", "when"}


def _manifest() -> m.Manifest:
    declared = mcpgen.Credential(
        "SERVICE_API_KEY", kind="api_key", pattern="^sk_", when="AUTH_METHOD=api_key", description="key"
    )
    choice = mcpgen.Credential("AUTH_METHOD", kind="choice", choices=("api_key", "oauth2"))
    tool = m.ToolEntry(
        name="charge",
        input_schema={"type": "object"},
        credentials=[choice, declared],
        entrypoint=m.Entrypoint(path="tools/charge.py", attribute="charge"),
        source=m.SourceRef(path="tools/charge.py", line=3),
    )
    merged = [
        m.CredentialRequirement(**{**_fields(c), "declared_by": ("tools/charge.py",)})
        for c in (choice, declared)
    ]
    return m.Manifest(mcpgen_version="1", server=m.ServerInfo(name="s"), tools=[tool], credentials=merged)


def _fields(c: mcpgen.Credential) -> dict[str, object]:
    return {key: getattr(c, key) for key in DECLARED_KEYS}


def test_one_model_the_manifest_names_ref_and_the_merged_requirement_extends() -> None:
    assert m.CredentialRef is mcpgen.Credential
    assert issubclass(m.CredentialRequirement, mcpgen.Credential)
    assert m.Credential is m.CredentialRequirement


def test_wire_format_is_unchanged_and_round_trips() -> None:
    manifest = _manifest()
    data = orjson.loads(m.dumps(manifest))
    assert data["tools"][0]["credentials"] == [
        {
            "name": "AUTH_METHOD",
            "kind": "choice",
            "required": True,
            "description": "",
            "choices": ["api_key", "oauth2"],
        },
        {
            "name": "SERVICE_API_KEY",
            "kind": "api_key",
            "required": True,
            "description": "key",
            "pattern": "^sk_",
            "when": "AUTH_METHOD=api_key",
        },
    ]
    assert data["credentials"][0] == {
        "name": "AUTH_METHOD",
        "kind": "choice",
        "required": True,
        "description": "",
        "choices": ["api_key", "oauth2"],
        "declaredBy": ["tools/charge.py"],
    }
    loaded = m.loads(m.dumps(manifest))
    assert loaded == m.canonical(manifest)
    assert type(loaded.tools[0].credentials[0]) is mcpgen.Credential
    assert loaded.credentials[1].declared_by == ("tools/charge.py",)


def test_an_unknown_credential_key_is_refused_naming_where() -> None:
    data = orjson.loads(m.dumps(_manifest()))
    data["tools"][0]["credentials"][0]["secretValue"] = "nope"
    with pytest.raises(ManifestError, match=r"invalid at tools\.0\.credentials\.0\.secretValue"):
        m.loads(orjson.dumps(data))


def test_published_schema_describes_both_shapes() -> None:
    defs = m.json_schema()["$defs"]
    declared, merged = defs["Credential"], defs["CredentialRequirement"]
    assert set(declared["properties"]) == DECLARED_KEYS
    assert set(merged["properties"]) == DECLARED_KEYS | {"declaredBy"}
    assert declared["additionalProperties"] is False
    assert merged["additionalProperties"] is False
    assert declared["required"] == merged["required"] == ["name"]
    assert defs["ToolEntry"]["properties"]["credentials"]["items"] == {"$ref": "#/$defs/Credential"}
