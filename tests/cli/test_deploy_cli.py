"""`mcpgen deploy k8s` through the CLI: files, the Secret command, --json, --helm, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcpgen.build.kubernetes import FILE_NAMES
from mcpgen.cli.app import app

runner = CliRunner()

TOOL = '''
from mcpgen import Credential, tool

@tool(credentials=[Credential("PAYMENTS_KEY", kind="api_key")])
def charge(amount: int) -> str:
    """Charge an amount."""
    return "ok"
'''


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("cli") / "ws"
    (ws / "tools").mkdir(parents=True)
    (ws / "tools" / "charge.py").write_text(TOOL)
    (ws / "mcpgen.yaml").write_text("name: payments\nversion: 2.0.0\n")
    return ws


def test_deploy_k8s_writes_manifests_and_prints_the_secret_command(workspace: Path) -> None:
    result = runner.invoke(app, ["deploy", "k8s", str(workspace), "--namespace", "pay", "--replicas", "3"])
    assert result.exit_code == 0, result.output
    out = workspace / "deploy" / "kubernetes"
    assert sorted(p.name for p in out.iterdir()) == sorted(FILE_NAMES.values())
    assert (
        'kubectl create secret generic payments-credentials --namespace pay --from-literal=PAYMENTS_KEY="$PAYMENTS_KEY"'
        in result.stdout
    )
    assert f"kubectl apply -f {out}" in result.stdout
    assert "no registry" in result.stderr  # payments:v2.0.0 would come from Docker Hub
    assert "minReplicas: 3" in (out / "hpa.yaml").read_text()


def test_deploy_k8s_json_and_helm(workspace: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["deploy", "k8s", str(workspace), "--helm", "--out", str(tmp_path / "chart"),
         "--image", "registry.acme.dev/pay@sha256:" + "a" * 64, "--host", "pay.acme.dev", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["format"] == "helm"
    assert data["image"] == "registry.acme.dev/pay@sha256:" + "a" * 64
    assert data["secrets"] == ["PAYMENTS_KEY"]
    assert "pay.acme.dev" in data["allowedHosts"]
    assert {Path(p).relative_to(tmp_path / "chart").as_posix() for p in data["files"]} >= {
        "Chart.yaml",
        "values.yaml",
        "templates/_helpers.tpl",
        "templates/NOTES.txt",
        "templates/deployment.yaml",
    }


def test_deploy_k8s_refuses_a_bad_image(workspace: Path) -> None:
    result = runner.invoke(app, ["deploy", "k8s", str(workspace), "--image", "Bad Image", "--json"])
    assert result.exit_code == 2  # a usage error, as for `mcpgen build --output`
    assert "invalid image reference 'Bad Image'" in result.output


def test_deploy_k8s_checks_namespace_and_host_like_mcpgen_yaml(workspace: Path) -> None:
    result = runner.invoke(app, ["deploy", "k8s", str(workspace), "--namespace", "Bad_NS", "--host", "a b"])
    assert result.exit_code == 2
    assert "--namespace: must be a DNS label" in result.output
    assert "--host: 'a b' is not a host name" in result.output
