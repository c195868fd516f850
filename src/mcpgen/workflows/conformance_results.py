"""What a conformance run found: typed results, and the parsing of what the suite leaves behind.

All pure. The suite writes ``server-SCENARIO-TIMESTAMP/checks.json`` per scenario under its
``-o`` folder (preferred: every check with status and message) and prints
``✓ name: N passed, M failed`` summary lines plus ``Not scored for REV: ...`` (the fallback).
Which scenarios count comes from its ``requirements/REVISION.yaml``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from mcpgen.errors import ConformanceError

Status = Literal["passed", "failed", "missing"]


@dataclass(frozen=True)
class RequirementSet:
    """What ``requirements/REVISION.yaml`` says about the server leg."""

    revision: str
    scored: tuple[str, ...]
    not_scored: Mapping[str, str]
    """Scenario name to the reason it does not count (extension, pending, added-after-release)."""

    @property
    def scenarios(self) -> tuple[str, ...]:
        return self.scored + tuple(n for n in self.not_scored if n not in self.scored)


@dataclass(frozen=True)
class CheckFailure:
    name: str
    message: str


@dataclass(frozen=True)
class ScenarioResult:
    requirement: str
    name: str
    status: Status
    passed: int
    failed: int
    warnings: int = 0
    scored: bool = True
    reason: str | None = None
    """Why an unscored scenario does not count."""
    failures: tuple[CheckFailure, ...] = ()
    results_path: Path | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement,
            "scenario": self.name,
            "status": self.status,
            "scored": self.scored,
            "reason": self.reason,
            "checks": {"passed": self.passed, "failed": self.failed, "warnings": self.warnings},
            "failures": [{"check": f.name, "message": f.message} for f in self.failures],
            "results": str(self.results_path) if self.results_path else None,
        }


@dataclass(frozen=True)
class RequirementRun:
    requirement: str
    scenarios: tuple[ScenarioResult, ...]
    exit_code: int
    output_dir: Path

    @property
    def scored_failures(self) -> tuple[ScenarioResult, ...]:
        return tuple(s for s in self.scenarios if s.scored and s.status != "passed")

    def counts(self, *, scored: bool) -> tuple[int, int]:
        """(passed, total) scenarios, among the scored or the unscored ones."""
        group = [s for s in self.scenarios if s.scored is scored]
        return sum(s.status == "passed" for s in group), len(group)

    def to_data(self) -> dict[str, Any]:
        scored_ok, scored_total = self.counts(scored=True)
        unscored_ok, unscored_total = self.counts(scored=False)
        return {
            "requirement": self.requirement,
            "ok": not self.scored_failures,
            "suiteExitCode": self.exit_code,
            "scored": {"passed": scored_ok, "total": scored_total},
            "unscored": {"passed": unscored_ok, "total": unscored_total},
            "results": str(self.output_dir),
            "scenarios": [s.to_data() for s in self.scenarios],
        }


@dataclass(frozen=True)
class ConformanceReport:
    workspace: Path
    results_dir: Path
    suite: str
    """``@modelcontextprotocol/conformance@VERSION``."""
    runs: tuple[RequirementRun, ...] = ()

    @property
    def ok(self) -> bool:
        return all(not run.scored_failures for run in self.runs)

    def to_data(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "suite": self.suite,
            "workspace": str(self.workspace),
            "results": str(self.results_dir),
            "runs": [run.to_data() for run in self.runs],
        }


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SUMMARY_LINE = re.compile(
    r"^\s*(?P<mark>[✓✗])\s+(?P<name>[\w./-]+):\s+(?P<passed>\d+) passed, (?P<failed>\d+) failed"
    r"(?:, (?P<warnings>\d+) warnings?)?\s*$"
)
_SINGLE_RESULT = re.compile(
    r"^Passed: (?P<passed>\d+)/\d+, (?P<failed>\d+) failed(?:, (?P<warnings>\d+) warn)?"
)
_NOT_SCORED_LINE = re.compile(r"^\s+[✓✗]\s+(?P<name>[\w./-]+)\s+\((?P<reason>[^)]*)\)\s*$")
_RESULT_DIR = re.compile(r"^server-(?P<name>.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


@dataclass(frozen=True)
class Counts:
    passed: int
    failed: int
    warnings: int = 0


def parse_summary(stdout: str) -> dict[str, Counts]:
    """The ``✓ name: N passed, M failed`` lines after ``=== SUMMARY ===`` (the stdout fallback)."""
    text = strip_ansi(stdout)
    marker = text.rfind("=== SUMMARY ===")
    if marker == -1:
        return {}
    found: dict[str, Counts] = {}
    for line in text[marker:].splitlines():
        if line.startswith("Not scored for"):
            break
        m = _SUMMARY_LINE.match(line)
        if m:
            found[m["name"]] = Counts(int(m["passed"]), int(m["failed"]), int(m["warnings"] or 0))
    return found


def parse_single_result(stdout: str) -> Counts | None:
    """``Passed: 1/2, 1 failed, 0 warnings``: what a one-scenario run prints instead of a summary."""
    for line in strip_ansi(stdout).splitlines():
        m = _SINGLE_RESULT.match(line.strip())
        if m:
            return Counts(int(m["passed"]), int(m["failed"]), int(m["warnings"] or 0))
    return None


def parse_not_scored(stdout: str) -> dict[str, str]:
    """``Not scored for REV: ...`` then ``  ✗ name (reason)`` lines: unscored scenarios and why."""
    lines = strip_ansi(stdout).splitlines()
    found: dict[str, str] = {}
    for i, line in enumerate(lines):
        if not line.startswith("Not scored for"):
            continue
        for follow in lines[i + 1 :]:
            m = _NOT_SCORED_LINE.match(follow)
            if not m:
                break
            found[m["name"]] = m["reason"]
    return found


def read_checks(output_dir: Path) -> dict[str, tuple[list[dict[str, Any]], Path]]:
    """``server-NAME-TIMESTAMP/checks.json`` under ``output_dir``: scenario to (checks, file).

    When a scenario ran twice, the latest timestamp wins. Unreadable files are skipped (the
    stdout summary then stands in).
    """
    found: dict[str, tuple[list[dict[str, Any]], Path]] = {}
    if not output_dir.is_dir():
        return found
    for sub in sorted(output_dir.iterdir()):
        m = _RESULT_DIR.match(sub.name)
        file = sub / "checks.json"
        if not m or not file.is_file():
            continue
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, list):
            found[m["name"]] = ([c for c in data if isinstance(c, dict)], file)
    return found


def counts_from_checks(checks: Sequence[Mapping[str, Any]]) -> tuple[Counts, tuple[CheckFailure, ...]]:
    """The suite's own arithmetic: SUCCESS passes, FAILURE fails, WARNING warns, INFO/SKIPPED are neither."""
    statuses = [c.get("status") for c in checks]
    failures = tuple(
        CheckFailure(
            name=str(c.get("name") or c.get("id") or "?"),
            message=str(c.get("errorMessage") or c.get("description") or ""),
        )
        for c in checks
        if c.get("status") == "FAILURE"
    )
    return Counts(statuses.count("SUCCESS"), statuses.count("FAILURE"), statuses.count("WARNING")), failures


def load_requirement_set(package_dir: Path, revision: str) -> RequirementSet:
    """Read the server leg of ``requirements/REVISION.yaml`` shipped with the suite."""
    path = package_dir / "requirements" / f"{revision}.yaml"
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as exc:
        raise ConformanceError(f"cannot read the suite's requirement set {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConformanceError(f"{path} is not a requirement set")
    scored = tuple(str(s) for s in data.get("server") or [] if isinstance(s, str))
    not_scored: dict[str, str] = {}
    for entry in data.get("not_scored") or []:
        if isinstance(entry, dict) and entry.get("leg") == "server" and entry.get("scenario"):
            not_scored[str(entry["scenario"])] = str(entry.get("reason") or "not scored")
    return RequirementSet(revision=revision, scored=scored, not_scored=not_scored)


def collect_results(
    requirement: RequirementSet,
    stdout: str,
    checks: Mapping[str, tuple[list[dict[str, Any]], Path]],
    expected: Sequence[str],
    *,
    single: Mapping[str, str] | None = None,
) -> tuple[ScenarioResult, ...]:
    """Merge what the suite wrote and printed into one result per scenario.

    ``expected`` are the scenarios this run was asked for (in suite order); one of them
    with neither a ``checks.json`` nor a summary line is ``missing`` (a failure when
    scored). ``single`` maps scenario name to the stdout of its own one-scenario run.
    """
    summary = parse_summary(stdout)
    printed_unscored = parse_not_scored(stdout)
    names = list(dict.fromkeys([*expected, *checks, *summary]))
    results: list[ScenarioResult] = []
    for name in names:
        if name in requirement.scored:
            scored, reason = True, None
        elif name in requirement.not_scored or name in printed_unscored:
            scored, reason = False, requirement.not_scored.get(name) or printed_unscored[name]
        else:
            scored, reason = not requirement.scored, None  # unknown to the YAML: count it, to be safe
        failures: tuple[CheckFailure, ...] = ()
        path: Path | None = None
        counts: Counts | None
        if name in checks:
            found, path = checks[name]
            counts, failures = counts_from_checks(found)
        else:
            counts = summary.get(name)
            if counts is None and single and name in single:
                counts = parse_single_result(single[name])
        if counts is None:
            status: Status = "missing"
            counts = Counts(0, 0)
        else:
            status = "failed" if counts.failed else "passed"
        results.append(
            ScenarioResult(
                requirement=requirement.revision,
                name=name,
                status=status,
                passed=counts.passed,
                failed=counts.failed,
                warnings=counts.warnings,
                scored=scored,
                reason=reason,
                failures=failures,
                results_path=path,
            )
        )
    return tuple(results)
