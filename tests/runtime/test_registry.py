"""Registry.load: imports what the manifest lists, once; precompiled validators; clear load errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpgen.errors import LoadError
from mcpgen.runtime import Registry

from .conftest import fixture_files, make_manifest

GOOD = (
    "from mcpgen import tool\n\n@tool\n"
    "def good(n: int, tags: list[str] | None = None) -> int:\n    return n\n"
)


def test_loads_every_entry(tmp_path: Path) -> None:
    manifest, settings = make_manifest(tmp_path, fixture_files())
    registry = Registry.load(manifest, settings)
    assert set(registry.tools) == {t.name for t in manifest.tools}
    assert set(registry.static_resources) == {"data://greeting", "data://config", "data://logo"}
    assert [r.entry.name for r in registry.templates] == ["profile"]
    assert set(registry.prompts) == {"review", "chat"}
    assert registry.tools["hang"].timeout == 0.5
    assert registry.tools["add"].timeout == settings.execution.default_timeout
    assert registry.tools["secret_reader"].credentials == frozenset({"RUNTIME_TEST_KEY"})
    assert registry.tools["work"].wants_context
    assert not registry.tools["add"].wants_context


def test_validators_are_compiled_once_and_name_fields(tmp_path: Path) -> None:
    manifest, settings = make_manifest(tmp_path, {"good.py": GOOD})
    tool = Registry.load(manifest, settings).tools["good"]
    validator = tool.validator
    assert tool.argument_errors({"n": 1}) == []
    assert tool.argument_errors({"n": "x"}) == [("n", '"x" is not of type "integer"')]
    assert tool.argument_errors({"n": 1, "tags": ["a", 2]})[0][0].startswith("tags")
    assert tool.argument_errors({})[0][0] == "n"
    assert tool.validator is validator


def test_find_resource_prefers_static_then_templates(tmp_path: Path) -> None:
    manifest, settings = make_manifest(tmp_path, fixture_files())
    registry = Registry.load(manifest, settings)
    found = registry.find_resource("users://7/profile")
    assert found is not None
    assert found[0].entry.name == "profile"
    assert found[1] == {"user_id": "7"}
    static = registry.find_resource("data://config")
    assert static is not None
    assert static[1] == {}
    assert registry.find_resource("nothing://here") is None


def test_import_failure_names_path_and_tool(tmp_path: Path) -> None:
    manifest, settings = make_manifest(tmp_path, {"good.py": GOOD})
    (tmp_path / "tools" / "good.py").write_text("raise RuntimeError('broken at import')\n")
    with pytest.raises(LoadError) as info:
        Registry.load(manifest, settings)
    assert info.value.path == "tools/good.py"
    assert info.value.name == "good"
    assert "tools/good.py" in info.value.message
    assert "'good'" in info.value.message
    assert "broken at import" in info.value.message


def test_missing_definition_and_missing_file(tmp_path: Path) -> None:
    manifest, settings = make_manifest(tmp_path, {"good.py": GOOD})
    entry = manifest.tools[0]
    renamed = entry.model_copy(
        update={"name": "other", "entrypoint": entry.entrypoint.model_copy(update={"attribute": "other"})}
    )
    with pytest.raises(LoadError, match="defines no tool at attribute 'other'"):
        Registry.load(manifest.model_copy(update={"tools": [renamed]}), settings)
    moved = entry.model_copy(
        update={"entrypoint": entry.entrypoint.model_copy(update={"path": "tools/gone.py"})}
    )
    with pytest.raises(LoadError, match=r"gone\.py not found"):
        Registry.load(manifest.model_copy(update={"tools": [moved]}), settings)


def test_duplicate_names_are_rejected(tmp_path: Path) -> None:
    manifest, settings = make_manifest(tmp_path, {"good.py": GOOD})
    with pytest.raises(LoadError, match="more than once"):
        Registry.load(manifest.model_copy(update={"tools": manifest.tools * 2}), settings)


def test_reload_with_purge_sees_edited_code(tmp_path: Path) -> None:
    manifest, settings = make_manifest(tmp_path, {"good.py": GOOD})
    first = Registry.load(manifest, settings)
    (tmp_path / "tools" / "good.py").write_text(GOOD.replace("return n", "return n * 10"))
    second = Registry.load(manifest, settings, purge=True)
    assert first.tools["good"].definition.fn(2) == 2
    assert second.tools["good"].definition.fn(2) == 20


def test_header_routed_tools_are_the_ones_the_sdk_would_route() -> None:
    """Only an ``x-mcp-header`` annotation (valid or not) sends a tool's calls to the SDK path."""
    from mcpgen.runtime.registry import _header_params

    annotated = {"type": "object", "properties": {"city": {"type": "string", "x-mcp-header": "City"}}}
    invalid = {"type": "object", "properties": {"city": {"type": "object", "x-mcp-header": "City"}}}
    named_like_it = {"type": "object", "properties": {"x-mcp-header": {"type": "string"}}}
    assert _header_params(annotated)
    assert _header_params(invalid)
    assert not _header_params(named_like_it)
    assert not _header_params({"type": "object"})
