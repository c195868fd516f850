from __future__ import annotations

import json

import pytest

from mcpgen.discovery.diagnostics import error, warning
from mcpgen.errors import ValidationFailed
from mcpgen.validation import Report


def test_errors_warnings_and_ok() -> None:
    report = Report.of([warning("w", "m", "tools/b.py", 1), error("e", "m", "tools/a.py", 2)])
    assert [d.code for d in report.diagnostics] == ["e", "w"]
    assert [d.code for d in report.errors] == ["e"]
    assert [d.code for d in report.warnings] == ["w"]
    assert not report.ok
    assert Report.of([warning("w", "m", "p")]).ok


def test_to_data_is_json() -> None:
    report = Report.of([error("e", "msg", "tools/a.py", 2, "t")])
    data = json.loads(json.dumps(report.to_data()))
    assert data["ok"] is False
    assert data["errors"] == 1
    assert data["warnings"] == 0
    assert data["diagnostics"][0]["code"] == "e"
    assert data["diagnostics"][0]["line"] == 2


def test_str_lists_every_problem_and_a_summary() -> None:
    report = Report.of([error("e", "boom", "tools/a.py", 2), warning("w", "hm", "tools/b.py")])
    assert str(report).splitlines() == [
        "tools/a.py:2: error: boom [e]",
        "tools/b.py: warning: hm [w]",
        "1 error, 1 warning",
    ]


def test_raise_for_errors_carries_the_report() -> None:
    Report.of([warning("w", "m", "p")]).raise_for_errors()
    report = Report.of([error("e", "m", "p")])
    with pytest.raises(ValidationFailed) as info:
        report.raise_for_errors()
    assert info.value.report is report
