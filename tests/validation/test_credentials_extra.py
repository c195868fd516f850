"""Credential declarations carry validation (pattern), choices and conditions into the manifest."""

from __future__ import annotations

from mcpgen.manifest import CredentialRef, Entrypoint, SourceRef, ToolEntry
from mcpgen.validation import merge_credentials


def _tool(name: str, *refs: CredentialRef) -> ToolEntry:
    return ToolEntry(
        name=name,
        input_schema={"type": "object"},
        credentials=list(refs),
        entrypoint=Entrypoint(path=f"tools/{name}.py", attribute=name),
        source=SourceRef(path=f"tools/{name}.py", line=1),
    )


def test_pattern_choices_and_when_are_kept() -> None:
    method = CredentialRef(name="AUTH_METHOD", kind="choice", choices=["api_key", "oauth2"])
    secret = CredentialRef(name="CLIENT_SECRET", kind="secret", when="AUTH_METHOD=oauth2", pattern="^cs_")
    merged, problems = merge_credentials([_tool("a", method, secret), _tool("b", secret)])
    assert problems == []
    by_name = {c.name: c for c in merged}
    assert by_name["AUTH_METHOD"].choices == ("api_key", "oauth2")
    assert (by_name["CLIENT_SECRET"].when, by_name["CLIENT_SECRET"].pattern) == ("AUTH_METHOD=oauth2", "^cs_")
    assert by_name["CLIENT_SECRET"].declared_by == ("tools/a.py", "tools/b.py")


def test_conflicting_patterns_name_both_modules() -> None:
    one = CredentialRef(name="KEY", pattern="^a")
    two = CredentialRef(name="KEY", pattern="^b")
    _, problems = merge_credentials([_tool("a", one), _tool("b", two)])
    assert [p.code for p in problems] == ["credential-conflict"]
    assert "tools/a.py:1" in problems[0].message
    assert problems[0].path == "tools/b.py"
