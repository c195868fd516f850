"""Generator plugins end to end: the CLI and the workflows on a small workspace with plugins/ in it.

Every hook a test plugin runs appends ``name:hook`` to ``calls.log`` in the workspace, so the order
(dependencies first) and the isolation (a raising plugin does not stop the next one) are observable.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fake_engine import FakeEngine
from mcpgen import manifest as manifest_io
from mcpgen.build.plan import BuildOptions
from mcpgen.cli.app import app
from mcpgen.errors import ImageBuildError, PluginError, ValidationFailed
from mcpgen.workflows.build import build, dry_run
from mcpgen.workflows.generate import generate

runner = CliRunner()

TOOL = '''
from mcpgen import tool

@tool
def echo(text: str) -> str:
    """Echo the text back."""
    return text
'''

RECORD = """
from mcpgen.plugins import hookimpl

def _record(context, hook):
    with (context.root / "calls.log").open("a") as fh:
        fh.write(f"{context.name}:{hook}\\n")
"""


def workspace(tmp_path: Path, plugins: dict[str, str], config: str = "") -> Path:
    root = tmp_path / "ws"
    (root / "tools").mkdir(parents=True)
    (root / "tools" / "echo.py").write_text(TOOL)
    (root / "plugins").mkdir()
    for name, text in plugins.items():
        (root / "plugins" / f"{name}.py").write_text(RECORD + textwrap.dedent(text))
    if config:
        (root / "config").mkdir()
        (root / "config" / "config.yaml").write_text(textwrap.dedent(config))
    return root


def calls(root: Path) -> list[str]:
    path = root / "calls.log"
    return path.read_text().split() if path.exists() else []


def cli(*args: str) -> Result:
    return runner.invoke(app, list(args))


def test_hooks_run_dependencies_first_and_add_diagnostics_and_manifest_extensions(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {
            # "audit" sorts first, but requires "base": base's hooks run before audit's
            "audit": """
                requires = ["base"]

                @hookimpl
                def mcpgen_after_scan(context, discovery):
                    _record(context, "after_scan")

                @hookimpl
                def mcpgen_after_manifest(context, manifest):
                    _record(context, "after_manifest")
                    return {"x-audit": {"owner": context.settings["owner"], "tools": [t.name for t in manifest.tools]}}
            """,
            "base": """
                from mcpgen.discovery import Diagnostic

                @hookimpl
                def mcpgen_after_scan(context, discovery):
                    _record(context, "after_scan")

                @hookimpl
                def mcpgen_after_validation(context, diagnostics):
                    _record(context, "after_validation")
                    return [Diagnostic("warning", "house-style", "echo is a boring name", "tools/echo.py", 5)]
            """,
        },
        config="""
            plugins:
              settings:
                audit: {owner: platform-team}
        """,
    )
    validated = cli("validate", str(root), "--json")
    assert validated.exit_code == 0, validated.output
    diagnostics = json.loads(validated.stdout)["diagnostics"]
    assert [(d["code"], d["name"], d["line"]) for d in diagnostics] == [("house-style", "base", 5)]
    assert calls(root) == [
        "base:after_scan",
        "audit:after_scan",
        "base:after_validation",
        "audit:after_manifest",
    ]

    written = cli("manifest", str(root), "-o", str(tmp_path / "manifest.json"))
    assert written.exit_code == 0, written.output
    manifest = manifest_io.load(tmp_path / "manifest.json")  # the runtime reads it back, extension and all
    assert manifest.extensions == {"x-audit": {"owner": "platform-team", "tools": ["echo"]}}

    listed = cli("plugins", "list", "-w", str(root), "--json")
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.stdout)
    assert [(p["name"], p["source"], p["requires"]) for p in data["plugins"]] == [
        ("base", "workspace", []),
        ("audit", "workspace", ["base"]),
    ]
    assert data["plugins"][1]["hooks"] == ["mcpgen_after_manifest", "mcpgen_after_scan"]
    assert data["problems"] == []


def test_a_raising_plugin_is_a_warning_naming_it_and_the_hook_and_the_rest_goes_on(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {
            "boom": """
                @hookimpl
                def mcpgen_after_validation(context):
                    raise RuntimeError("kaboom in validation")

                @hookimpl
                def mcpgen_before_build(context, build):
                    raise RuntimeError("kaboom before the build")
            """,
            "calm": """
                @hookimpl
                def mcpgen_after_validation(context):
                    _record(context, "after_validation")

                @hookimpl
                def mcpgen_after_build(context, build):
                    _record(context, f"after_build:{build.image_id[:12]}:{','.join(build.tags)}")
            """,
        },
    )
    validated = cli("validate", str(root), "--json")
    assert validated.exit_code == 0, validated.output
    (problem,) = json.loads(validated.stdout)["diagnostics"]
    assert problem["severity"] == "warning"
    assert problem["code"] == "plugin-error"
    assert problem["name"] == "boom"
    assert problem["path"] == "plugins/boom.py"
    assert (
        problem["message"]
        == "plugin 'boom' failed in mcpgen_after_validation: RuntimeError: kaboom in validation"
    )
    assert calls(root) == ["calm:after_validation"]  # the next plugin still ran

    lines: list[str] = []
    progress = type(
        "P", (), {"start": lambda *a: None, "finish": lambda *a: None, "line": lambda _, t: lines.append(t)}
    )()
    engine = FakeEngine()
    result = build(root, BuildOptions(base_image="base:1"), engine=engine, progress=progress, environ={})
    assert engine.builds == 1
    assert (
        "warning: plugin 'boom' failed in mcpgen_before_build: RuntimeError: kaboom before the build" in lines
    )
    assert any("plugin 'boom' failed in mcpgen_after_validation" in line for line in lines)
    assert calls(root)[-1] == f"calm:after_build:{result.image_id[:12]}:{','.join(result.tags)}"


def test_a_required_plugin_that_raises_stops_validation_and_the_build(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {
            "gate": """
                @hookimpl
                def mcpgen_before_build(context, build):
                    raise RuntimeError("no builds on Fridays")
            """,
            "strict": """
                @hookimpl
                def mcpgen_after_scan(context):
                    raise RuntimeError("policy server unreachable")
            """,
        },
        config="""
            plugins:
              required: [strict, gate]
        """,
    )
    validated = cli("validate", str(root), "--json")
    assert validated.exit_code == 1
    (problem,) = json.loads(validated.stdout)["diagnostics"]
    assert (problem["severity"], problem["name"]) == ("error", "strict")
    assert "required plugin 'strict' failed in mcpgen_after_scan" in problem["message"]
    engine = FakeEngine()
    with pytest.raises(ValidationFailed):
        build(root, BuildOptions(base_image="base:1"), engine=engine, environ={})
    assert engine.builds == 0

    (root / "plugins" / "strict.py").unlink()
    (root / "config" / "config.yaml").write_text("plugins:\n  required: [gate]\n")
    with pytest.raises(ImageBuildError, match="required plugin 'gate' failed in mcpgen_before_build"):
        build(root, BuildOptions(base_image="base:1"), engine=engine, environ={})
    assert engine.builds == 0
    assert engine.tags == {}


def test_a_dependency_cycle_is_an_error_naming_the_plugins(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {
            "alpha": 'requires = ["beta"]\n',
            "beta": 'requires = ["gamma"]\n',
            "gamma": 'requires = ["alpha"]\n',
        },
    )
    with pytest.raises(PluginError) as caught:
        generate(root)
    assert caught.value.plugins == ("alpha", "beta", "gamma")
    assert "alpha → beta → gamma → alpha" in caught.value.message
    listed = cli("plugins", "list", "-w", str(root))
    assert listed.exit_code == 1
    assert "cycle: alpha → beta → gamma → alpha" in listed.output


def test_load_problems_are_reported_and_the_other_plugins_load(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {
            "broken": "import does_not_exist_anywhere\n",
            "typo": """
                @hookimpl
                def mcpgen_after_scann(context):
                    pass
            """,
            "orphan": 'requires = ["broken"]\n',
            "fine": """
                @hookimpl
                def mcpgen_after_scan(context):
                    _record(context, "after_scan")
            """,
            "off": """
                @hookimpl
                def mcpgen_after_scan(context):
                    _record(context, "after_scan")
            """,
        },
        config="""
            plugins:
              disabled: [off]
              enabled: [broken, typo, orphan, fine, missing]
        """,
    )
    data = json.loads(cli("plugins", "list", "-w", str(root), "--json").stdout)
    assert [p["name"] for p in data["plugins"]] == ["fine", "typo"]
    problems = {p["plugin"]: p["message"] for p in data["problems"]}
    assert problems["broken"].startswith("ModuleNotFoundError: No module named 'does_not_exist_anywhere'")
    assert problems["orphan"] == "requires 'broken', which did not load (not installed, disabled, or failed)"
    assert problems["typo"].startswith("implements unknown hook(s) mcpgen_after_scann")
    assert "no plugin of this name" in problems["missing"]
    assert set(problems) == {"broken", "orphan", "typo", "missing"}
    validated = cli("validate", str(root), "--json")
    assert validated.exit_code == 0  # none of them is required
    assert calls(root) == ["fine:after_scan"]


def test_plugins_info_shows_hooks_and_settings_and_unknown_names_are_usage_errors(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {},
        config="""
            plugins:
              settings:
                notes: {channel: releases}
        """,
    )
    (root / "plugins" / "notes.py").write_text(
        '"""Writes release notes.\n\nMore text."""\nfrom mcpgen.plugins import hookimpl\n__version__ = "2.1"\n\n'
        "@hookimpl\ndef mcpgen_after_push(context, build):\n    pass\n"
    )
    shown = cli("plugins", "info", "notes", "-w", str(root))
    assert shown.exit_code == 0, shown.output
    assert "notes 2.1" in shown.output
    assert "Writes release notes." in shown.output
    assert "mcpgen_after_push: Every tag is pushed" in shown.output
    assert "channel: releases" in shown.output
    data = json.loads(cli("plugins", "info", "notes", "-w", str(root), "--json").stdout)
    assert data["settings"] == {"channel": "releases"}
    assert data["origin"] == "plugins/notes.py"
    unknown = cli("plugins", "info", "nope", "-w", str(root))
    assert unknown.exit_code == 2
    assert "no plugin 'nope' is loaded (loaded: notes)" in unknown.output


def test_dockerfile_instructions_go_in_at_their_points_and_bad_ones_are_refused(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {
            "adds": """
                from mcpgen.plugins import Arg, Copy, Env, Label, Run, User

                @hookimpl
                def mcpgen_dockerfile(context, dockerfile, manifest):
                    dockerfile.add("deps", Run(["echo", "deps stage"]))
                    dockerfile.add("system", Run("apt-get update && apt-get install -y curl"), Arg("REGION", "eu"))
                    dockerfile.add("before_user", Copy(["tools/echo.py"], "/opt/extra/", chown="10001:10001"))
                    dockerfile.add("final", Env({"GREETING": 'say "hi" for $5'}), Label("com.acme.team", "ml"))
            """,
            "sneaky": """
                from mcpgen.plugins import Env, Run

                @hookimpl
                def mcpgen_dockerfile(context, dockerfile):
                    dockerfile.add("final", Env({"OK": "1"}))
                    dockerfile.add("final", Run("true\\nUSER root"))
            """,
            "wrongtype": """
                @hookimpl
                def mcpgen_dockerfile(context, dockerfile):
                    dockerfile.add("final", "RUN rm -rf /")
            """,
        },
    )
    plan = dry_run(root, BuildOptions(base_image="base:1"))
    lines = plan.dockerfile.splitlines()

    def at(text: str) -> int:
        return lines.index(text)

    assert at("FROM base:1 AS deps") < at('RUN ["echo", "deps stage"]') < at("FROM base:1")
    assert lines[at('RUN ["echo", "deps stage"]') - 1] == "# added by plugin adds"
    assert at("RUN apt-get update && apt-get install -y curl") < at(
        "COPY --from=deps /opt/mcpgen/venv /opt/mcpgen/venv"
    )
    assert at('ARG REGION="eu"') == at("RUN apt-get update && apt-get install -y curl") + 1
    assert at("COPY tools/ /app/tools/") < at('COPY --chown=10001:10001 ["tools/echo.py", "/opt/extra/"]')
    assert at('COPY --chown=10001:10001 ["tools/echo.py", "/opt/extra/"]') < at("USER 10001:10001")
    assert at("USER 10001:10001") < at('ENV GREETING="say \\"hi\\" for \\$5"') < at("EXPOSE 8080")
    assert 'LABEL com.acme.team="ml"' in lines
    assert "USER root" not in plan.dockerfile  # the newline was refused, not rendered
    assert 'ENV OK="1"' in lines  # what the plugin added before it failed stays
    warnings = "\n".join(plan.warnings)
    assert (
        "plugin 'sneaky' failed in mcpgen_dockerfile: UsageError: RUN command 'true\\nUSER root' contains a newline"
        in warnings
    )
    assert (
        "plugin 'wrongtype' failed in mcpgen_dockerfile: UsageError: 'RUN rm -rf /' is not a Dockerfile instruction"
        in warnings
    )


def test_manifest_extensions_must_start_with_x(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {
            "ext": """
                @hookimpl
                def mcpgen_after_manifest(context):
                    return {"x-ok": [1, 2], "owner": "me", "x-bad": object()}
            """,
        },
    )
    gen = generate(root)
    assert gen.manifest is not None
    assert gen.manifest.extensions == {"x-ok": [1, 2]}
    messages = sorted(d.message for d in gen.report.warnings)
    assert messages[0].startswith(
        "plugin 'ext' in mcpgen_after_manifest: manifest key 'owner' does not start with 'x-'"
    )
    assert "manifest key 'x-bad': value is not JSON" in messages[1]
    data = manifest_io.to_data(gen.manifest)
    with pytest.raises(Exception, match="unknown manifest key"):
        manifest_io.loads(json.dumps({**data, "owner": "me"}))


def test_an_installed_distribution_with_an_entry_point_is_a_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real (if hand-made) installed distribution: a .dist-info with entry_points.txt on sys.path."""
    site = tmp_path / "site"
    dist_info = site / "acme_mcpgen_plugin-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-mcpgen-plugin\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text("[mcpgen.plugins]\nacme = acme_mcpgen_plugin:AcmePlugin\n")
    (site / "acme_mcpgen_plugin.py").write_text(
        textwrap.dedent(
            '''
            """Stamps the manifest with the ACME build policy."""
            from mcpgen.plugins import hookimpl

            class AcmePlugin:
                """Stamps the manifest with the ACME build policy."""

                requires = ["local"]

                @hookimpl
                def mcpgen_after_manifest(self, context, manifest):
                    return {"x-acme-policy": context.settings.get("policy", "default")}
            '''
        )
    )
    monkeypatch.syspath_prepend(str(site))
    root = workspace(
        tmp_path,
        {"local": "@hookimpl\ndef mcpgen_after_scan(context):\n    _record(context, 'after_scan')\n"},
        config="plugins:\n  settings:\n    acme: {policy: strict}\n",
    )
    data = json.loads(cli("plugins", "list", "-w", str(root), "--json").stdout)
    assert [(p["name"], p["source"], p["version"]) for p in data["plugins"]] == [
        ("local", "workspace", ""),
        ("acme", "entry point", "1.0"),
    ]
    assert data["plugins"][1]["origin"] == "acme-mcpgen-plugin 1.0: acme_mcpgen_plugin:AcmePlugin"
    assert data["plugins"][1]["description"] == "Stamps the manifest with the ACME build policy."
    gen = generate(root)
    assert gen.manifest is not None
    assert gen.manifest.extensions == {"x-acme-policy": "strict"}

    (root / "config" / "config.yaml").write_text("plugins:\n  disabled: [acme]\n")
    data = json.loads(cli("plugins", "list", "-w", str(root), "--json").stdout)
    assert [p["name"] for p in data["plugins"]] == ["local"]


def test_a_hook_returning_the_wrong_thing_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {
            "odd": """
                @hookimpl
                def mcpgen_after_validation(context):
                    return 42

                @hookimpl
                def mcpgen_after_manifest(context):
                    return ["x-not-a-mapping"]
            """,
            "lazy": """
                @hookimpl
                def mcpgen_after_validation(context):
                    yield from ()
                    raise RuntimeError("generator broke")
            """,
        },
    )
    gen = generate(root)
    assert gen.manifest is not None
    assert gen.manifest.extensions == {}
    messages = sorted(d.message for d in gen.report.warnings)
    assert messages[0] == "plugin 'lazy' failed in mcpgen_after_validation: RuntimeError: generator broke"
    assert messages[1] == (
        "plugin 'odd' in mcpgen_after_manifest: returned list \"['x-not-a-mapping']\", not what the hook "
        "returns (see docs/plugins.md); ignored"
    )
    assert messages[2].startswith("plugin 'odd' in mcpgen_after_validation: returned int '42'")
