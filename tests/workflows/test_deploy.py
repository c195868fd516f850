"""``mcpgen deploy k8s`` and ``server.json`` on a real workspace: the rendered config makes a pod that
binds 0.0.0.0 start (the runtime's unsafe-bind check passes) and answer the Service's names, the probes
and Prometheus, and refuse another Host."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx2
import orjson
import pytest
from ruamel.yaml import YAML
from starlette.applications import Starlette

from mcpgen.build.plan import BuildOptions, FileFromText
from mcpgen.build.server_json import check_server_json
from mcpgen.config import load_config
from mcpgen.errors import ConfigError, UsageError, WorkspaceError
from mcpgen.runtime import create_app
from mcpgen.runtime.auth.gate import refuse_unsafe_bind
from mcpgen.runtime.settings import settings_from_config
from mcpgen.workflows.build import dry_run
from mcpgen.workflows.deploy import DeployOptions, deploy_k8s
from mcpgen.workflows.generate import generate
from mcpgen.workflows.project import load_project
from mcpgen.workflows.registry_entry import write_server_json

DEMO = Path(__file__).parents[2] / "examples" / "demo"
HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
LIST = orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("deploy") / "demo"
    shutil.copytree(DEMO, ws, ignore=shutil.ignore_patterns(".mcpgen", "__pycache__"))
    project = (ws / "mcpgen.yaml").read_text()
    (ws / "mcpgen.yaml").write_text(
        project
        + "build:\n  registry: ghcr.io/acme\nkubernetes:\n  namespace: tools\n  replicas: 3\n"
        + "  hosts: [mcp.acme.dev]\n  requests: {cpu: 250m}\n"
        + "registry:\n  name: io.github.acme/demo\n  url: https://mcp.acme.dev/mcp\n"
    )
    return ws


@asynccontextmanager
async def running(app: Starlette, host: str) -> AsyncIterator[httpx2.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
            yield client


def test_manifests_from_the_workspace(workspace: Path, tmp_path: Path) -> None:
    deployed = deploy_k8s(
        workspace, DeployOptions(out=tmp_path / "k8s", hosts=("extra.acme.dev",)), environ={}
    )
    assert deployed.out == tmp_path / "k8s"
    assert {p.name for p in deployed.files} >= {"deployment.yaml", "configmap.yaml", "servicemonitor.yaml"}
    plan = deployed.plan
    assert (plan.name, plan.namespace, plan.image) == ("demo", "tools", "ghcr.io/acme/demo:v0.1.0")
    assert plan.replicas == 3
    assert plan.requests == {"cpu": "250m", "memory": "256Mi"}
    assert [key.name for key in plan.credentials] == ["TRANSLATION_API_KEY"]
    assert "mcp.acme.dev" in deployed.to_data()["allowedHosts"]
    assert "extra.acme.dev" in deployed.to_data()["allowedHosts"]
    assert deployed.secret_commands == [
        "kubectl create secret generic demo-credentials --namespace tools "
        '--from-literal=TRANSLATION_API_KEY="$TRANSLATION_API_KEY"'
    ]
    text = "".join(p.read_text() for p in deployed.files)
    assert "stand-in" not in text  # values made up to load the config never reach a file


def test_the_pod_config_starts_safely_and_answers_the_service_names(workspace: Path, tmp_path: Path) -> None:
    deployed = deploy_k8s(workspace, DeployOptions(out=tmp_path / "k8s"), environ={})
    configmap = YAML(typ="safe").load((tmp_path / "k8s" / "configmap.yaml").read_text())
    pod_root = tmp_path / "pod"
    shutil.copytree(workspace, pod_root)
    image_config = dry_run(pod_root, BuildOptions()).files["config/config.yaml"]  # what the image carries
    assert isinstance(image_config, FileFromText)
    (pod_root / "config").mkdir()
    (pod_root / "config" / "config.yaml").write_text(image_config.text)
    (pod_root / "config" / "config.kubernetes.yaml").write_text(configmap["data"]["config.kubernetes.yaml"])
    settings = settings_from_config(load_config(pod_root, env="kubernetes", environ={}).config, pod_root)
    assert settings.http.host == "0.0.0.0"
    refuse_unsafe_bind(settings)  # what the runtime checks before it binds

    without = settings_from_config(
        load_config(pod_root, env="kubernetes", environ={}, overrides=["server.allowed_hosts=[]"]).config,
        pod_root,
    )
    with pytest.raises(ConfigError, match="refusing to serve"):
        refuse_unsafe_bind(without)

    manifest = generate(pod_root).manifest
    assert manifest is not None
    assert deployed.plan.port == settings.http.port

    async def scenario() -> None:
        app = create_app(manifest, settings)
        async with running(app, "demo.tools.svc.cluster.local:8080") as client:
            assert (await client.post("/mcp", content=LIST, headers=HEADERS)).status_code == 200
        async with running(create_app(manifest, settings), "mcp.acme.dev") as client:
            assert (await client.post("/mcp", content=LIST, headers=HEADERS)).status_code == 200
        async with running(create_app(manifest, settings), "evil.example") as client:
            assert (await client.post("/mcp", content=LIST, headers=HEADERS)).status_code == 421
        async with running(create_app(manifest, settings), "10.1.2.3:8080") as client:  # kubelet, Prometheus
            assert (await client.get("/health/live")).status_code == 200
            assert (await client.get("/health/ready")).status_code == 200
            assert (await client.get("/metrics")).status_code == 200

    import anyio

    anyio.run(scenario)


def test_helm_chart_from_the_workspace(workspace: Path) -> None:
    deployed = deploy_k8s(workspace, DeployOptions(helm=True, namespace="other"), environ={})
    assert deployed.out == workspace / "deploy" / "helm" / "demo"
    assert (deployed.out / "Chart.yaml").is_file()
    values = YAML(typ="safe").load((deployed.out / "values.yaml").read_text())
    assert values["image"] == {
        "repository": "ghcr.io/acme/demo",
        "tag": "v0.1.0",
        "digest": "",
        "pullPolicy": "IfNotPresent",
    }
    assert values["mcpName"] == "io.github.acme/demo"


def test_an_image_without_a_tag_is_refused(workspace: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="needs a tag"):
        deploy_k8s(workspace, DeployOptions(out=tmp_path / "x", image="ghcr.io/acme/demo"), environ={})
    assert not (tmp_path / "x").exists()


def test_server_json_is_written_and_valid(workspace: Path) -> None:
    gen = generate(workspace)
    entry = write_server_json(gen, {})
    assert entry.path == workspace / "server.json"
    assert [w for w in entry.warnings if "registry.name" in w] == []  # set in mcpgen.yaml
    data = orjson.loads(entry.path.read_bytes())
    assert check_server_json(data) == []
    assert data["name"] == "io.github.acme/demo"
    assert data["packages"][0]["identifier"] == "ghcr.io/acme/demo:v0.1.0"
    assert data["remotes"] == [{"type": "streamable-http", "url": "https://mcp.acme.dev/mcp"}]


def test_a_bad_kubernetes_section_names_file_line_and_key(tmp_path: Path) -> None:
    (tmp_path / "mcpgen.yaml").write_text(
        "name: x\nkubernetes:\n  replicas: 0\n  requests: {gpu: 1}\n  colour: blue\n"
    )
    with pytest.raises(WorkspaceError) as caught:
        load_project(tmp_path)
    message = str(caught.value)
    assert "mcpgen.yaml:3: kubernetes.replicas: must be between 1 and 1000" in message
    assert "kubernetes.requests: unknown resource 'gpu'" in message
    assert "mcpgen.yaml:5: kubernetes.colour: unknown key; expected one of:" in message


def test_server_json_is_still_written_when_the_config_is_broken(workspace: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(workspace, broken)
    (broken / "config").mkdir(exist_ok=True)
    (broken / "config" / "config.yaml").write_text("server:\n  port: not-a-port\n")
    entry = write_server_json(generate(broken), {})
    assert entry.path.is_file()
    assert any("does not load" in w and "server.port" in w for w in entry.warnings)
