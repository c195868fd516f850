from __future__ import annotations

from collections.abc import Callable

from mcpgen.manifest import Credential, CredentialRef, ToolEntry
from mcpgen.validation.credentials import merge_credentials

MakeTool = Callable[..., ToolEntry]


def test_same_name_merges_into_one_requirement(make_tool: MakeTool) -> None:
    tools = [
        make_tool(
            "b", "tools/b.py", credentials=[CredentialRef(name="API_KEY", required=False, description="B")]
        ),
        make_tool(
            "a", "tools/a.py", credentials=[CredentialRef(name="API_KEY", kind="api_key", description="A")]
        ),
        make_tool(
            "a2", "tools/a.py", credentials=[CredentialRef(name="API_KEY", required=False, description="A")]
        ),
        make_tool("c", "tools/c.py", credentials=[CredentialRef(name="OTHER", required=False)]),
    ]
    credentials, diagnostics = merge_credentials(tools)
    assert diagnostics == []
    assert credentials == [
        Credential(
            name="API_KEY",
            kind="api_key",
            required=True,
            description="A; B",
            declared_by=["tools/a.py", "tools/b.py"],
        ),
        Credential(name="OTHER", required=False, declared_by=["tools/c.py"]),
    ]


def test_conflicting_kinds_name_both_modules(make_tool: MakeTool) -> None:
    tools = [
        make_tool("a", "tools/a.py", 3, credentials=[CredentialRef(name="TOKEN", kind="api_key")]),
        make_tool("b", "tools/b.py", 8, credentials=[CredentialRef(name="TOKEN", kind="oauth_token")]),
    ]
    _, diagnostics = merge_credentials(tools)
    (diag,) = diagnostics
    assert (diag.code, diag.severity, diag.path, diag.line, diag.name) == (
        "credential-conflict",
        "error",
        "tools/b.py",
        8,
        "TOKEN",
    )
    assert "tools/a.py:3" in diag.message
    assert "'api_key'" in diag.message
    assert "'oauth_token'" in diag.message


def test_lowercase_credential_name_warns(make_tool: MakeTool) -> None:
    _, diagnostics = merge_credentials([make_tool(credentials=[CredentialRef(name="api_key")])])
    assert [(d.code, d.severity) for d in diagnostics] == [("credential-name", "warning")]


def test_when_cycles_are_errors_naming_credentials_and_files(make_tool: MakeTool) -> None:
    tools = [
        make_tool("a", "tools/a.py", 4, credentials=[CredentialRef(name="MODE", when="REGION=eu")]),
        make_tool("b", "tools/b.py", 9, credentials=[CredentialRef(name="REGION", when="TOKEN=x")]),
        make_tool("c", "tools/c.py", 2, credentials=[CredentialRef(name="TOKEN", when="MODE=oauth")]),
        make_tool("d", "tools/d.py", 7, credentials=[CredentialRef(name="SELF", when="SELF=on")]),
        make_tool("e", "tools/e.py", 1, credentials=[CredentialRef(name="LEAF", when="MODE=oauth")]),
        make_tool("f", "tools/f.py", 1, credentials=[CredentialRef(name="FREE", when="UNDECLARED=1")]),
    ]
    _, diagnostics = merge_credentials(tools)
    assert [(d.code, d.severity, d.path, d.line, d.name) for d in diagnostics] == [
        ("credential-cycle", "error", "tools/a.py", 4, "MODE"),
        ("credential-cycle", "error", "tools/d.py", 7, "SELF"),
    ]
    ring = diagnostics[0].message
    assert "MODE, REGION, TOKEN" in ring
    for where in ("tools/a.py:4", "tools/b.py:9", "tools/c.py:2"):
        assert where in ring
    assert "LEAF" not in ring  # hangs off the ring, is not part of it
    assert "tools/e.py" not in ring
    assert "SELF (when 'SELF=on', tools/d.py:7) → SELF" in diagnostics[1].message
