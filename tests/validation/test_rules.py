from __future__ import annotations

from collections.abc import Callable

import pytest

from mcpgen.discovery import SeedVersion
from mcpgen.manifest import Entrypoint, PromptEntry, ResourceEntry, SourceRef, ToolEntry
from mcpgen.validation.rules import (
    check_descriptions,
    check_duplicates,
    check_seed_versions,
    check_tool_names,
    tool_name_problems,
)

MakeTool = Callable[..., ToolEntry]


@pytest.mark.parametrize("name", ["a", "get_weather", "Tool-1.v2", "x" * 128, "A.B_C-d"])
def test_valid_tool_names(name: str) -> None:
    assert tool_name_problems(name) == ([], [])


@pytest.mark.parametrize(
    "name", ["", "x" * 129, "has space", "comma,name", "émoji", "slash/name", "bad name!"]
)
def test_invalid_tool_names(name: str) -> None:
    errors, _ = tool_name_problems(name)
    assert len(errors) == 1


@pytest.mark.parametrize("name", ["-lead", "trail-", ".dot", "dot."])
def test_edge_punctuation_is_only_a_warning(name: str) -> None:
    errors, warnings = tool_name_problems(name)
    assert errors == []
    assert len(warnings) == 1


def test_name_diagnostics_carry_file_line_and_name(make_tool: MakeTool) -> None:
    found = check_tool_names([make_tool("bad name", "tools/b.py", 7), make_tool("-edgy", "tools/c.py", 2)])
    assert [(d.code, d.severity, d.path, d.line, d.name) for d in found] == [
        ("invalid-name", "error", "tools/b.py", 7, "bad name"),
        ("tool-name-style", "warning", "tools/c.py", 2, "-edgy"),
    ]


def test_duplicate_tool_names_name_both_files(make_tool: MakeTool) -> None:
    tools = [make_tool("lookup", "tools/two.py", 9), make_tool("lookup", "tools/one.py", 4), make_tool("x")]
    (diag,) = check_duplicates(tools, [], [])
    assert (diag.code, diag.path, diag.line, diag.name) == ("duplicate-name", "tools/two.py", 9, "lookup")
    assert "tools/one.py:4" in diag.message
    assert "tools/two.py:9" in diag.message


def test_three_copies_give_two_errors(make_tool: MakeTool) -> None:
    tools = [make_tool("dup", f"tools/{n}.py") for n in "abc"]
    assert [d.path for d in check_duplicates(tools, [], [])] == ["tools/b.py", "tools/c.py"]


def _prompt(name: str, path: str) -> PromptEntry:
    return PromptEntry(
        name=name, entrypoint=Entrypoint(path=path, attribute=name), source=SourceRef(path=path)
    )


def _resource(name: str, path: str, uri: str | None = None, template: str | None = None) -> ResourceEntry:
    return ResourceEntry(
        name=name,
        uri=uri,
        uri_template=template,
        entrypoint=Entrypoint(path=path, attribute=name),
        source=SourceRef(path=path, line=3),
    )


def test_duplicate_prompts_and_resource_uris() -> None:
    found = check_duplicates(
        [],
        [
            _resource("a", "resources/a.py", uri="data://x"),
            _resource("b", "resources/b.py", uri="data://x"),
            _resource("c", "resources/c.py", template="data://{id}"),
            _resource("d", "resources/d.py", template="data://{id}"),
            _resource("e", "resources/e.py", uri="data://other"),
        ],
        [
            _prompt("review", "prompts/a.py"),
            _prompt("review", "prompts/b.py"),
            _prompt("other", "prompts/c.py"),
        ],
    )
    assert sorted((d.code, d.path) for d in found) == [
        ("duplicate-name", "prompts/b.py"),
        ("duplicate-uri", "resources/b.py"),
        ("duplicate-uri", "resources/d.py"),
    ]


def test_missing_description_is_a_warning(make_tool: MakeTool) -> None:
    found = check_descriptions([make_tool("a", description="   "), make_tool("b", description="Does b.")])
    assert [(d.code, d.severity, d.name) for d in found] == [("missing-description", "warning", "a")]


def test_unsupported_seed_schema_version() -> None:
    found = check_seed_versions(
        [SeedVersion("tools/a.py", "a", "1.0", 3), SeedVersion("tools/b.py", "b", "9.9", 4)]
    )
    assert [(d.code, d.severity, d.path, d.line, d.name) for d in found] == [
        ("unsupported-schema-version", "error", "tools/b.py", 4, "b")
    ]
    assert "9.9" in found[0].message


def test_a_cache_ttl_on_a_tool_not_marked_read_only_is_a_warning() -> None:
    from mcpgen.manifest import Entrypoint, SourceRef, ToolEntry
    from mcpgen.validation.rules import check_cache

    def entry(name: str, annotations: dict[str, bool] | None) -> ToolEntry:
        return ToolEntry(
            name=name,
            input_schema={"type": "object"},
            annotations=annotations,
            cache_ttl=5,
            entrypoint=Entrypoint(path="tools/t.ts", attribute="default", language="typescript", kind="seed"),
            source=SourceRef(path="tools/t.ts", line=3),
        )

    found = check_cache([entry("writes", None), entry("reads", {"readOnlyHint": True})])
    assert [(d.code, d.name, d.line) for d in found] == [("cache-not-read-only", "writes", 3)]
