"""``mcpgen doctor`` through Typer: text and --json carry the same checks; exit 1 only on errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcpgen.cli.app import app
from mcpgen.workflows import doctor

runner = CliRunner()


def down(timeout: float) -> str:
    raise ConnectionError("connection refused")


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    probes = doctor.Probes(
        node_version=lambda timeout: "v24.1.0",
        docker_version=down,
        port_problem=lambda host, port: None,
        registry_problem=lambda environ, timeout: None,
    )
    monkeypatch.setattr(doctor, "Probes", lambda: probes)
    monkeypatch.delenv("MCPGEN_ENV", raising=False)
    root = tmp_path / "ws"
    (root / "tools").mkdir(parents=True)
    (root / "tools" / "echo.py").write_text(
        'from mcpgen import tool\n\n\n@tool\ndef echo(text: str) -> str:\n    """Echo."""\n    return text\n'
    )
    return root


def test_warnings_only_exit_0_and_text_matches_json(ws: Path) -> None:
    text = runner.invoke(app, ["doctor", str(ws)])
    as_json = runner.invoke(app, ["doctor", str(ws), "--json"])

    assert text.exit_code == 0, text.output
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert (data["ok"], data["errors"], data["warnings"]) == (True, 0, 1)
    for item in data["checks"]:
        assert f"{item['name']}" in text.stdout
        assert item["detail"] in text.stdout
    assert "! docker" in text.stdout
    assert "→ start Docker" in text.stdout
    assert "0 error(s), 1 warning(s)" in text.stdout


def test_an_error_exits_1_and_build_makes_docker_one(ws: Path) -> None:
    result = runner.invoke(app, ["doctor", str(ws), "--build", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [c["name"] for c in data["checks"] if c["status"] == "error"] == ["docker"]

    (ws / "config").mkdir()
    (ws / "config" / "config.yaml").write_text("server: [not, a, mapping]\n")
    result = runner.invoke(app, ["doctor", str(ws)])
    assert result.exit_code == 1
    assert "✗ config" in result.stdout


def test_a_missing_workspace_is_one_plain_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["doctor", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert "python" not in result.stdout
