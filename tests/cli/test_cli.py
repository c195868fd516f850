"""The CLI end to end through its public entry (Typer's runner, same process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcpgen.cli.app import app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "workspaces"
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = invoke("--version")
    assert code == 0
    assert out.startswith("mcpgen ")


def test_init_then_validate_then_list(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    code, out, _ = invoke("init", str(ws))
    assert code == 0, out
    assert (ws / "tools" / "greet.py").is_file()
    code, out, err = invoke("validate", str(ws), "--json")
    assert code == 0, out + err
    data = json.loads(out)
    assert data["ok"] is True
    assert data["tools"] == ["greet"]
    code, out, err = invoke("list-tools", str(ws), "--json")
    assert code == 0, err
    tools = json.loads(out)["tools"]
    assert tools[0]["name"] == "greet"
    assert tools[0]["inputSchema"]["properties"]["style"]["enum"] == ["plain", "excited"]
    code, out, _ = invoke("ls", str(ws))
    assert code == 0
    assert "greet" in out


def test_validate_broken_workspace_exits_1_and_reports_everything() -> None:
    code, out, _ = invoke("validate", str(FIXTURES / "broken"), "--json", "--timeout", "2")
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False
    codes = {d["code"] for d in data["diagnostics"]}
    assert {"syntax-error", "import-error", "timeout", "duplicate-name"} <= codes
    assert data["tools"], "the good tools next to the broken ones are still discovered"


def test_validate_human_output_names_files(tmp_path: Path) -> None:
    code, out, err = invoke("validate", str(FIXTURES / "broken"), "--timeout", "2")
    assert code == 1
    assert "syntax" in (out + err).lower()
    assert ".py:" in err


def test_manifest_is_deterministic(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    invoke("init", str(ws))
    first = tmp_path / "a.json"
    second = tmp_path / "b.json"
    assert invoke("manifest", str(ws), "-o", str(first))[0] == 0
    assert invoke("manifest", str(ws), "-o", str(second))[0] == 0
    assert first.read_bytes() == second.read_bytes()
    data = json.loads(first.read_text())
    assert data["manifestVersion"] == 1
    assert [t["name"] for t in data["tools"]] == ["greet"]


def test_manifest_schema_is_json_schema() -> None:
    code, out, _ = invoke("manifest", "--schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["$schema"].endswith("2020-12/schema")
    assert "manifestVersion" in schema["properties"]


def test_manifest_of_broken_workspace_fails() -> None:
    code, out, _ = invoke("manifest", str(FIXTURES / "broken"), "--timeout", "2")
    assert code == 1
    assert out == ""


def test_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = invoke("validate", str(tmp_path / "missing"))
    assert code == 1
    assert "does not exist" in err


@pytest.mark.parametrize("args", [["validate", "--bogus"], ["serve", "--transport", "carrier-pigeon", "."]])
def test_usage_errors_exit_2(args: list[str], tmp_path: Path) -> None:
    code, _, _ = invoke(*args)
    assert code == 2


def test_serve_refuses_a_broken_workspace(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "good.py").write_text(
        'from mcpgen import tool\n\n@tool\ndef ok() -> str:\n    """Ok."""\n    return "ok"\n'
    )
    (tmp_path / "tools" / "broken.py").write_text("def broken(:\n")
    proc = subprocess.run(
        [sys.executable, "-m", "mcpgen", "serve", str(tmp_path), "--port", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "tools/broken.py:1" in proc.stderr
    assert "syntax" in proc.stderr.lower()
    assert "mcpgen validate" in proc.stderr
