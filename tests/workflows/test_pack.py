"""``mcpgen pack --mcpb``: the bundle's manifest (checked by the MCPB project's own validator), its files,
and a vendored bundle that serves over stdio with nothing but its own ``server/lib``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import anyio
import pytest
from filelock import FileLock
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from typer.testing import CliRunner

from mcpgen.cli.app import app
from mcpgen.common.nodejs import NodeNotFound, node_executable, npm_command
from mcpgen.errors import BundleError
from mcpgen.workflows import pack

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
MCPB_CLI = "@anthropic-ai/mcpb@2.1.2"
runner = CliRunner()

TOOL = '''
from mcpgen import Credential, tool


@tool(credentials=[
    Credential("WEATHER_API_KEY", kind="api_key", description="Key of the weather service"),
    Credential("WEATHER_REGION", kind="region", required=False),
])
def forecast(city: str) -> str:
    """Forecast for a city."""
    return city
'''


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "weather"
    (ws / "tools").mkdir(parents=True)
    (ws / "tools" / "forecast.py").write_text(TOOL)
    (ws / "config").mkdir()
    (ws / "config" / "config.yaml").write_text("server:\n  port: 9000\n")
    (ws / "mcpgen.yaml").write_text("name: weather\nversion: 1.2.3\ndescription: Forecasts\n")
    state = ws / ".mcpgen"
    state.mkdir()
    for secret in ("secrets.enc", "secret.key", "api_keys.json"):
        (state / secret).write_text("do not ship")
    return ws


def test_manifest_declares_credentials_as_user_config(workspace: Path) -> None:
    plan = pack.plan_bundle(workspace, author="Ada")
    m = plan.manifest
    assert (m["manifest_version"], m["name"], m["version"], m["description"]) == (
        "0.3",
        "weather",
        "1.2.3",
        "Forecasts",
    )
    assert m["author"] == {"name": "Ada"}
    assert m["server"] == {
        "type": "python",
        "entry_point": "server/main.py",
        "mcp_config": {
            "command": "python",
            "args": ["${__dirname}/server/main.py"],
            "env": {
                "PYTHONPATH": "${__dirname}/server/lib",
                "WEATHER_API_KEY": "${user_config.weather_api_key}",
                "WEATHER_REGION": "${user_config.weather_region}",
            },
        },
    }
    assert m["user_config"] == {
        "weather_api_key": {
            "type": "string",
            "title": "WEATHER_API_KEY",
            "description": "Key of the weather service",
            "required": True,
            "sensitive": True,
        },
        "weather_region": {
            "type": "string",
            "title": "WEATHER_REGION",
            "description": "region used by tools/forecast.py",
            "required": False,
            "sensitive": False,
        },
    }
    assert m["tools"] == [{"name": "forecast", "description": "Forecast for a city."}]
    major, minor = sys.version_info[:2]
    assert m["compatibility"]["runtimes"] == {"python": f">={major}.{minor},<{major}.{minor + 1}"}
    assert plan.out == workspace.resolve() / "dist" / "weather-1.2.3.mcpb"


def test_schema_check_names_each_problem() -> None:
    bad = {
        "manifest_version": "0.3",
        "name": "x",
        "version": "1",
        "description": "d",
        "author": {},
        "server": {},
    }
    with pytest.raises(BundleError) as info:
        pack.check_manifest(bad)
    assert "author: " in info.value.message
    assert "server: " in info.value.message


def test_bundle_carries_the_workspace_but_no_secrets(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "weather.mcpb"
    plan = pack.plan_bundle(workspace, out=out, author="Ada")
    result = pack.write_bundle(plan, vendored=False)
    assert result.size == out.stat().st_size
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert json.loads(zf.read("manifest.json")) == plan.manifest
        server_manifest = json.loads(zf.read("server/workspace/.mcpgen/manifest.json"))
        main_py = zf.read("server/main.py").decode()
    assert names == {
        "manifest.json",
        "server/main.py",
        "server/workspace/mcpgen.yaml",
        "server/workspace/tools/forecast.py",
        "server/workspace/config/config.yaml",
        "server/workspace/.mcpgen/manifest.json",
    }
    assert [t["name"] for t in server_manifest["tools"]] == ["forecast"]
    assert '"--transport", "stdio"' in main_py


def test_bad_out_name_and_missing_format_are_refused(workspace: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["pack", str(workspace)])
    assert result.exit_code == 2
    assert "--mcpb" in result.stderr
    result = runner.invoke(app, ["pack", str(workspace), "--mcpb", "--out", str(tmp_path / "x.zip")])
    assert result.exit_code == 2
    assert "ends in .mcpb" in result.stderr


@pytest.fixture(scope="module")
def mcpb_cli(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The MCPB project's own CLI (npm ``@anthropic-ai/mcpb``), installed once into the mcpgen cache."""
    try:
        node = node_executable()
        npm = npm_command()
    except NodeNotFound as exc:
        if os.environ.get("MCPGEN_REQUIRE_NODE"):
            raise
        pytest.skip(f"no Node to run the MCPB validator: {exc}")
    cache = Path(os.environ.get("MCPGEN_CACHE_DIR") or Path.home() / ".cache" / "mcpgen") / "node-tools"
    prefix = cache / MCPB_CLI.replace("@", "-").replace("/", "-").lstrip("-")
    cli = prefix / "node_modules" / "@anthropic-ai" / "mcpb" / "dist" / "cli" / "cli.js"
    prefix.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(prefix) + ".lock", timeout=600):
        if not cli.is_file():
            subprocess.run(
                [
                    *npm,
                    "install",
                    "--prefix",
                    str(prefix),
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    MCPB_CLI,
                ],
                check=True,
                capture_output=True,
                timeout=300,
            )
    assert cli.is_file(), f"{MCPB_CLI} installed without {cli}"
    return [node, str(cli)]


def test_official_mcpb_validator_accepts_the_manifest(
    workspace: Path, tmp_path: Path, mcpb_cli: list[str]
) -> None:
    out = tmp_path / "weather.mcpb"
    pack.write_bundle(pack.plan_bundle(workspace, out=out, author="Ada"), vendored=False)
    manifest = tmp_path / "manifest.json"
    with zipfile.ZipFile(out) as zf:
        manifest.write_bytes(zf.read("manifest.json"))
    proc = subprocess.run([*mcpb_cli, "validate", str(manifest)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "validation passes" in proc.stdout
    # and it does reject what is wrong: the validator is really looking
    data = json.loads(manifest.read_text())
    data["server"]["type"] = "ruby"
    manifest.write_text(json.dumps(data))
    proc = subprocess.run([*mcpb_cli, "validate", str(manifest)], capture_output=True, text=True, check=False)
    assert proc.returncode != 0
    info = subprocess.run([*mcpb_cli, "info", str(out)], capture_output=True, text=True, check=False)
    assert info.returncode == 0, info.stdout + info.stderr


@pytest.mark.integration
@pytest.mark.anyio
async def test_vendored_bundle_serves_with_only_its_own_lib(tmp_path: Path) -> None:
    """Pack the demo with its dependencies, unzip it as a host would, run ``python -S server/main.py``
    (no site-packages: only the bundle's ``server/lib``) and call a tool over stdio."""
    out = tmp_path / "demo.mcpb"
    result = runner.invoke(app, ["pack", str(DEMO), "--mcpb", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["dependencies_bundled"] is True
    assert data["user_config"] == ["translation_api_key"]
    installed = tmp_path / "installed"
    with zipfile.ZipFile(out) as zf:
        zf.extractall(installed)
        manifest = json.loads(zf.read("manifest.json"))
    assert (installed / "server" / "lib" / "mcpgen" / "runtime" / "node" / "bridge.mjs").is_file()
    config = manifest["server"]["mcp_config"]
    args = [a.replace("${__dirname}", str(installed)) for a in config["args"]]
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": config["env"]["PYTHONPATH"].replace("${__dirname}", str(installed)),
        "TRANSLATION_API_KEY": "",  # the optional credential left empty in the install dialog
    }
    params = StdioServerParameters(command=sys.executable, args=["-S", *args], env=env)
    with anyio.fail_after(60):
        async with Client(params) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert names == {"summarize", "classify", "translate"}
            summary = await client.call_tool("summarize", {"text": "One. Two is longer.", "max_length": 40})
            assert not summary.is_error


def test_lock_file_pins_what_the_bundle_gets(workspace: Path) -> None:
    """With ``.mcpgen/requirements.lock`` (what dev used) the bundle installs exactly that."""
    plan = pack.plan_bundle(workspace, author="Ada")
    assert plan.lock_file is None
    cmd = pack.install_command(plan, Path("/w/mcpgen.whl"), Path("/t/lib"))
    assert cmd[cmd.index("--target") + 1] == "/t/lib"
    assert "/w/mcpgen.whl" in cmd
    assert "-r" not in cmd
    lock = workspace / ".mcpgen" / "requirements.lock"
    lock.write_text("anyio==4.5.0\n")
    plan = pack.plan_bundle(workspace, author="Ada")
    assert plan.lock_file == lock.resolve()
    cmd = pack.install_command(plan, Path("/w/mcpgen.whl"), Path("/t/lib"))
    assert cmd[cmd.index("-r") + 1] == str(lock.resolve())


def test_typescript_tools_bring_node_into_the_bundle(tmp_path: Path) -> None:
    import shutil

    ws = tmp_path / "polyglot"
    shutil.copytree(DEMO.parent / "polyglot", ws, ignore=shutil.ignore_patterns("node_modules"))
    plan = pack.plan_bundle(ws, author="Ada")
    assert pack.NODE_REQUIREMENT in plan.requirements
    assert "server/workspace/tools/word_stats.ts" in {name for name, _ in plan.files}
    assert pack.NODE_REQUIREMENT not in pack.plan_bundle(DEMO, author="Ada").requirements
