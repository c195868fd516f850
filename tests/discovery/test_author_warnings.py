"""Warnings about definitions that load but are probably not what the author meant (file, line, name).

- an untyped parameter (``def f(x, y: int)``): schema ``{}``, any JSON value accepted;
- a credential made optional by its description only (``(optional)``) instead of the ``NAME?`` mark,
  in a Python docstring directive and in a TS/JS ``@requires-credential`` JSDoc tag.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mcpgen.discovery import discover
from mcpgen.validation import validate

Write = Callable[[Path, str, str], Path]

PYTHON = '''from mcpgen import tool


@tool
def add(
    x,
    y: int,
) -> str:
    """Add two numbers.

    :credential REGION: region of the API (optional)
    :credential TOKEN?: a token for the API
    :credential API_KEY: the key
    """
    return str(x + y)
'''

TYPESCRIPT = """/**
 * @requires-credential TS_REGION text - region of the API (optional)
 * @requires-credential TS_TOKEN? api_key - a token
 * @requires-credential TS_KEY api_key - the key
 */
export const metadata = { name: "lookup", description: "Look up.", inputSchema: { type: "object" } };
export default async function handler(input: object) { return "ok"; }
"""


def test_untyped_parameter_is_a_warning_naming_file_line_and_parameter(tmp_path: Path, write: Write) -> None:
    write(tmp_path, "tools/add.py", PYTHON)
    result = discover(tmp_path)
    report = validate(result)
    assert report.ok  # a warning: the tool still loads
    untyped = [d for d in report.diagnostics if d.code == "untyped-parameter"]
    assert [(d.severity, d.path, d.line, d.name) for d in untyped] == [("warning", "tools/add.py", 6, "add")]
    assert "'x'" in untyped[0].message
    assert "'y'" not in untyped[0].message
    schema = result.tools[0].input_schema
    assert schema["properties"]["x"] == {}  # documented: no type, any JSON value
    assert schema["properties"]["y"]["type"] == "integer"


def test_python_optional_credential_marked_with_a_question_mark(tmp_path: Path, write: Write) -> None:
    write(tmp_path, "tools/add.py", PYTHON)
    result = discover(tmp_path)
    creds = {c.name: c.required for c in result.tools[0].credentials}
    assert creds == {"REGION": False, "TOKEN": False, "API_KEY": True}
    syntax = [d for d in validate(result).diagnostics if d.code == "credential-syntax"]
    assert [(d.severity, d.path, d.line) for d in syntax] == [("warning", "tools/add.py", 11)]
    assert "REGION" in syntax[0].message
    assert ":credential REGION?:" in syntax[0].message


def test_typescript_optional_credential_marked_with_a_question_mark(tmp_path: Path, write: Write) -> None:
    write(tmp_path, "tools/lookup.ts", TYPESCRIPT)
    result = discover(tmp_path)
    report = validate(result)
    assert report.ok, [str(d) for d in report.errors]
    creds = {c.name: c.required for c in result.tools[0].credentials}
    assert creds == {"TS_REGION": False, "TS_TOKEN": False, "TS_KEY": True}
    syntax = [d for d in report.diagnostics if d.code == "credential-syntax"]
    assert [(d.severity, d.path, d.line, d.name) for d in syntax] == [
        ("warning", "tools/lookup.ts", 2, "TS_REGION")
    ]
    assert "@requires-credential TS_REGION?" in syntax[0].message
