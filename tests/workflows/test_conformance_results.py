"""Parsing what the conformance suite leaves behind, on output captured from real runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcpgen.errors import ConformanceError
from mcpgen.workflows import conformance_results as cr
from mcpgen.workflows.conformance_results import Counts, RequirementRun, RequirementSet

CAPTURED = Path(__file__).resolve().parents[1] / "fixtures" / "conformance"


def _captured(name: str) -> str:
    return (CAPTURED / name).read_text(encoding="utf-8")


def _write_checks(root: Path, scenario: str, stamp: str, statuses: list[str]) -> Path:
    folder = root / f"server-{scenario}-2026-11-21T21-31-{stamp}Z"
    folder.mkdir(parents=True)
    checks = [
        {
            "id": f"c{i}",
            "name": f"Check{i}",
            "status": s,
            "errorMessage": f"boom {i}" if s == "FAILURE" else None,
        }
        for i, s in enumerate(statuses)
    ]
    (folder / "checks.json").write_text(json.dumps(checks), encoding="utf-8")
    return folder / "checks.json"


REQS = RequirementSet(
    revision="2026-07-28",
    scored=("tools-list", "tools-call-simple-text", "server-stateless"),
    not_scored={"tasks-lifecycle": "extension", "json-schema-2020-12": "pending"},
)


def test_summary_lines_of_a_requirements_run() -> None:
    summary = cr.parse_summary(_captured("suite-2025-11-25.txt"))
    assert len(summary) == 33
    assert summary["server-initialize"] == Counts(3, 0)
    assert summary["completion-complete"] == Counts(1, 1)
    assert summary["json-schema-2020-12"] == Counts(2, 3)
    assert summary["server-sse-polling"] == Counts(0, 0)
    assert "Total" not in summary


def test_summary_lines_with_colours_and_warnings() -> None:
    text = "=== SUMMARY ===\n\x1b[32m✓ ping: 2 passed, 0 failed\x1b[0m\n✗ tools-list: 3 passed, 0 failed, 1 warnings\n"
    assert cr.parse_summary(text) == {"ping": Counts(2, 0), "tools-list": Counts(3, 0, 1)}
    assert cr.parse_summary("no summary here\n✓ ping: 2 passed, 0 failed\n") == {}


def test_not_scored_lines() -> None:
    unscored = cr.parse_not_scored(_captured("suite-2026-07-28.txt"))
    assert len(unscored) == 13
    assert unscored["tasks-lifecycle"] == "extension"
    assert unscored["json-schema-2020-12"] == "pending"
    assert unscored["http-header-validation"] == "pending"
    assert "tools-list" not in unscored
    assert cr.parse_not_scored(_captured("suite-2025-11-25.txt")) == {
        "server-session-lifecycle": "added-after-release",
        "json-schema-2020-12": "pending",
        "server-sse-polling": "pending",
    }


def test_single_scenario_result_line() -> None:
    assert cr.parse_single_result(_captured("single-tasks-lifecycle.txt")) == Counts(1, 8, 0)
    assert cr.parse_single_result("nothing") is None


def test_read_checks_takes_the_latest_run_and_skips_junk(tmp_path: Path) -> None:
    _write_checks(tmp_path, "tools-list", "10-000", ["FAILURE"])
    latest = _write_checks(tmp_path, "tools-list", "11-000", ["SUCCESS", "SUCCESS"])
    _write_checks(tmp_path, "server-stateless", "12-000", ["SUCCESS"])
    broken = tmp_path / "server-ping-2026-11-21T21-31-13-000Z"
    broken.mkdir()
    (broken / "checks.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "unrelated").mkdir()
    found = cr.read_checks(tmp_path)
    assert sorted(found) == ["server-stateless", "tools-list"]
    assert found["tools-list"][1] == latest
    assert cr.read_checks(tmp_path / "absent") == {}


def test_counts_follow_the_suite() -> None:
    checks = [
        {"status": "SUCCESS"},
        {"status": "FAILURE", "name": "Boom", "errorMessage": "went wrong"},
        {"status": "FAILURE", "id": "x", "description": "described"},
        {"status": "WARNING"},
        {"status": "INFO"},
        {"status": "SKIPPED"},
    ]
    counts, failures = cr.counts_from_checks(checks)
    assert counts == Counts(1, 2, 1)
    assert [(f.name, f.message) for f in failures] == [("Boom", "went wrong"), ("x", "described")]


def test_requirement_set_from_the_suite_yaml(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "2026-07-28.yaml").write_text(
        "server:\n  - tools-list\n  - ping\nclient:\n  - initialize\nnot_scored:\n"
        "  - scenario: auth/dpop\n    leg: client\n    reason: extension\n"
        "  - scenario: tasks-lifecycle\n    leg: server\n    reason: extension\n    note: >-\n      why\n"
        "  - scenario: json-schema-2020-12\n    leg: server\n    reason: pending\n",
        encoding="utf-8",
    )
    rs = cr.load_requirement_set(tmp_path, "2026-07-28")
    assert rs.scored == ("tools-list", "ping")
    assert dict(rs.not_scored) == {"tasks-lifecycle": "extension", "json-schema-2020-12": "pending"}
    assert rs.scenarios == ("tools-list", "ping", "tasks-lifecycle", "json-schema-2020-12")
    with pytest.raises(ConformanceError, match=r"2025-11-25\.yaml"):
        cr.load_requirement_set(tmp_path, "2025-11-25")


def test_results_prefer_checks_json_and_fall_back_to_stdout(tmp_path: Path) -> None:
    _write_checks(tmp_path, "tools-list", "10-000", ["SUCCESS", "WARNING", "SUCCESS"])
    _write_checks(tmp_path, "tasks-lifecycle", "11-000", ["SUCCESS", "FAILURE"])
    stdout = (
        "=== SUMMARY ===\n✓ tools-list: 9 passed, 0 failed\n✗ tools-call-simple-text: 1 passed, 1 failed\n"
        "\nNot scored for 2026-07-28: 1 scenario(s) run, 1 failing.\n  ✗ tasks-lifecycle (extension)\n"
    )
    expected = ["tools-list", "tools-call-simple-text", "server-stateless", "tasks-lifecycle"]
    results = {r.name: r for r in cr.collect_results(REQS, stdout, cr.read_checks(tmp_path), expected)}
    assert list(results) == expected
    listed = results["tools-list"]
    assert (listed.status, listed.passed, listed.failed, listed.warnings) == ("passed", 2, 0, 1)
    assert listed.results_path is not None
    text = results["tools-call-simple-text"]  # no checks.json: the summary line stands in
    assert (text.status, text.passed, text.failed, text.scored) == ("failed", 1, 1, True)
    missing = results["server-stateless"]
    assert (missing.status, missing.scored) == ("missing", True)
    tasks = results["tasks-lifecycle"]
    assert (tasks.status, tasks.scored, tasks.reason) == ("failed", False, "extension")
    assert [f.message for f in tasks.failures] == ["boom 1"]


def test_results_of_one_scenario_runs_and_printed_unscored_reasons(tmp_path: Path) -> None:
    bare = RequirementSet(revision="2026-07-28", scored=("tools-list",), not_scored={})
    stdout = "=== SUMMARY ===\n✓ odd: 1 passed, 0 failed\nNot scored for 2026-07-28: 1\n  ✓ odd (pending)\n"
    results = cr.collect_results(
        bare, stdout, {}, ["tools-list"], single={"tools-list": "Passed: 3/3, 0 failed, 0 warnings\n"}
    )
    assert [(r.name, r.status, r.passed, r.scored, r.reason) for r in results] == [
        ("tools-list", "passed", 3, True, None),
        ("odd", "passed", 1, False, "pending"),
    ]


def test_the_run_fails_only_on_scored_scenarios(tmp_path: Path) -> None:
    ok = cr.ScenarioResult("2026-07-28", "tools-list", "passed", 2, 0)
    unscored_bad = cr.ScenarioResult(
        "2026-07-28", "tasks-lifecycle", "failed", 1, 8, scored=False, reason="extension"
    )
    run = RequirementRun("2026-07-28", (ok, unscored_bad), exit_code=0, output_dir=tmp_path)
    report = cr.ConformanceReport(workspace=tmp_path, results_dir=tmp_path, suite="s@1", runs=(run,))
    assert report.ok
    data = report.to_data()
    assert data["runs"][0]["scored"] == {"passed": 1, "total": 1}
    assert data["runs"][0]["unscored"] == {"passed": 0, "total": 1}
    assert data["runs"][0]["scenarios"][1]["reason"] == "extension"
    scored_bad = cr.ScenarioResult("2026-07-28", "ping", "missing", 0, 0)
    run = RequirementRun("2026-07-28", (ok, scored_bad), exit_code=1, output_dir=tmp_path)
    report = cr.ConformanceReport(workspace=tmp_path, results_dir=tmp_path, suite="s@1", runs=(run,))
    assert not report.ok
    assert report.to_data()["ok"] is False
    assert json.loads(json.dumps(report.to_data()))["runs"][0]["scenarios"][1]["status"] == "missing"
