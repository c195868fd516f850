from __future__ import annotations

import json

from mcpgen.discovery.diagnostics import Diagnostic, error, ordered, warning


def test_str_has_location_severity_and_code() -> None:
    d = error("syntax-error", "invalid syntax", "tools/x.py", 12)
    assert str(d) == "tools/x.py:12: error: invalid syntax [syntax-error]"
    assert str(warning("unsupported-language", "skipped", "tools/y.ts")) == (
        "tools/y.ts: warning: skipped [unsupported-language]"
    )


def test_to_data_is_json_and_complete() -> None:
    d = error("duplicate-name", "twice", "tools/a.py", 3, "lookup", detail="output")
    data = d.to_data()
    assert json.loads(json.dumps(data)) == {
        "severity": "error",
        "code": "duplicate-name",
        "message": "twice",
        "path": "tools/a.py",
        "line": 3,
        "name": "lookup",
        "detail": "output",
    }


def test_is_error() -> None:
    assert error("c", "m", "p").is_error
    assert not warning("c", "m", "p").is_error


def test_ordered_sorts_and_drops_exact_duplicates() -> None:
    a = error("b-code", "m", "tools/b.py", 2)
    b = error("a-code", "m", "tools/b.py", 2)
    c = warning("x", "m", "tools/a.py", None)
    d = error("x", "m", "tools/b.py", 1)
    assert ordered([a, b, c, d, a]) == [c, d, b, a]


def test_diagnostics_are_frozen() -> None:
    d = Diagnostic("error", "c", "m", "p")
    try:
        d.code = "other"  # type: ignore[misc]
    except AttributeError:
        return
    raise AssertionError("Diagnostic must be immutable")
