"""validate() on the fixture workspaces: every problem is reported, with file and line."""

from __future__ import annotations

import pytest

from mcpgen.discovery import DiscoveryResult
from mcpgen.validation import validate

EXPECTED = [
    ("tools/bad_signature.py", "definition-error", 4),
    ("tools/deps_old.py", "dependency-conflict", 3),
    ("tools/dup_two.py", "duplicate-name", 4),
    ("tools/exits_at_import.py", "system-exit", 4),
    ("tools/hangs.py", "timeout", 3),
    ("tools/invalid_name.py", "invalid-name", 4),
    ("tools/later.ts", "schema-fallback", 1),
    ("tools/missing_package.py", "missing-package", 3),
    ("tools/no_description.py", "missing-description", 4),
    ("tools/os_exit.py", "worker-crash", 3),
    ("tools/raises_at_import.py", "import-error", 5),
    ("tools/seed_bad_schema.py", "invalid-schema", 9),
    ("tools/seed_future_version.py", "unsupported-schema-version", 4),
    ("tools/segfault.py", "worker-crash", 3),
    ("tools/syntax_error.py", "syntax-error", 7),
]


def test_broken_workspace_reports_every_problem(broken: DiscoveryResult) -> None:
    report = validate(broken)
    assert [(d.path, d.code, d.line) for d in report.diagnostics] == EXPECTED
    assert not report.ok
    assert {d.code for d in report.warnings} == {"schema-fallback", "missing-description"}


@pytest.mark.parametrize(
    ("code", "fragments"),
    [
        ("duplicate-name", ["tools/dup_one.py:4", "tools/dup_two.py:4", "lookup"]),
        ("dependency-conflict", ["tools/deps_new.py", "tools/deps_old.py", "requests>=2.30", "requests<2.0"]),
        ("invalid-schema", ["inputSchema", "/properties/q"]),
        ("unsupported-schema-version", ["9.9"]),
    ],
)
def test_messages_name_what_is_wrong(broken: DiscoveryResult, code: str, fragments: list[str]) -> None:
    (diag,) = [d for d in validate(broken).diagnostics if d.code == code]
    for fragment in fragments:
        assert fragment in diag.message


def test_good_workspace_is_clean(good: DiscoveryResult) -> None:
    report = validate(good)
    assert report.ok
    assert report.diagnostics == []
