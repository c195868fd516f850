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
