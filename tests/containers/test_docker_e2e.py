"""``mcpgen build`` / ``run`` / ``images`` on a real Docker engine, end to end (examples/demo + a probe tool).

One workspace is built once per module (offline, on the debootstrap base
image) and shared by the tests in order: run + MCP calls, secrets not in the
image, a one-tool rebuild reusing the dependency layers, push/pull through the
local registry, prune, and a failing build. Every container and image a test
makes is removed at the end.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import docker
import httpx2
import pytest
from docker_support import BASE_IMAGE, REGISTRY
from mcp import Client
from ruamel.yaml import YAML

from server_support import free_port

# One worker for this module and test_dood_e2e.py: both build project "demo", and `images --prune` here
# removes the project's other images (they also share a wheelhouse key in the run's wheel cache).
pytestmark = [
    pytest.mark.docker,
    pytest.mark.integration,
    pytest.mark.timeout(900),
    pytest.mark.xdist_group("docker"),  # see test_polyglot_e2e.py: every image-building module on one worker
]

ROOT = Path(__file__).resolve().parents[2]
SENTINEL = "sentinel-" + uuid.uuid4().hex


@dataclass
class Built:
    workspace: Path
    repository: str
    env: dict[str, str]
    build: dict[str, Any]
    containers: list[str] = field(default_factory=list)


def mcpgen(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "mcpgen", *args], capture_output=True, text=True, env=env, timeout=600
    )
    if check:
        assert proc.returncode == 0, f"mcpgen {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def built(
    docker_client: docker.DockerClient, wheel_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    workspace = tmp_path_factory.mktemp("docker") / "demo"
    shutil.copytree(
        ROOT / "examples" / "demo", workspace, ignore=shutil.ignore_patterns(".mcpgen", "__pycache__")
    )
    shutil.copy(ROOT / "tests" / "fixtures" / "docker" / "probe.py", workspace / "tools" / "probe.py")
    repository = f"mcpgen-e2e-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "MCPGEN_CACHE_DIR": str(wheel_cache)}
    env.pop("MCPGEN_SECRET_KEY", None)
    mcpgen(env, "secrets", "set", "SENTINEL_TOKEN", SENTINEL, "-w", str(workspace))
    proc = mcpgen(
        env,
        "build",
        str(workspace),
        "--offline",
        "--base-image",
        BASE_IMAGE,
        "--output",
        repository,
        "--json",
    )
    state = Built(workspace, repository, env, json.loads(proc.stdout))
    yield state
    for container in state.containers:
        with contextlib.suppress(docker.errors.NotFound):
            docker_client.containers.get(container).remove(force=True)
    for image in docker_client.images.list(filters={"label": "io.mcpgen.project=demo"}):
        if any(repository in tag for tag in image.tags) or not image.tags:
            with contextlib.suppress(docker.errors.APIError):
                docker_client.images.remove(image.id, force=True)


def test_build_summary_and_image_metadata(built: Built, docker_client: docker.DockerClient) -> None:
    data = built.build
    assert data["tags"][:2] == [f"{built.repository}:latest", f"{built.repository}:v0.1.0"]
    assert data["tools"] == ["classify", "probe", "summarize", "translate"]
    assert [s["name"] for s in data["steps"]][-2:] == ["Building image", "Tagging"]
    image = docker_client.images.get(f"{built.repository}:latest")
    config = image.attrs["Config"]
    assert config["User"] == "10001:10001"
    assert config["Labels"]["io.mcpgen.tools"] == "classify,probe,summarize,translate"
    assert config["Labels"]["org.opencontainers.image.title"] == "demo"
    # no registry.name in mcpgen.yaml: the placeholder server.json uses too
    assert config["Labels"]["io.modelcontextprotocol.server.name"] == "io.github.your-github-user/demo"
    assert "8080/tcp" in config["ExposedPorts"]
    assert "/health/live" in " ".join(config["Healthcheck"]["Test"])
    log = (built.workspace / ".mcpgen" / "build.log").read_text()
    assert "Step 7/8: Building image" in log
    assert "pip install --no-index --find-links" in log


def test_the_kubernetes_pod_settings_start_the_image(
    built: Built, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    """The Deployment's constraints on a real container: read-only root filesystem with tmpfs for /tmp
    and $HOME, uid 10001, every capability dropped, no new privileges, the ConfigMap's overlay
    mounted as config/config.kubernetes.yaml; it starts, answers the Service's name, refuses another Host."""
    out = tmp_path / "k8s"
    mcpgen(built.env, "deploy", "k8s", str(built.workspace), "--out", str(out), "--json")
    configmap = YAML(typ="safe").load((out / "configmap.yaml").read_text())
    overlay = tmp_path / "config.kubernetes.yaml"
    overlay.write_text(configmap["data"]["config.kubernetes.yaml"])
    overlay.chmod(0o644)
    port = free_port()
    container = docker_client.containers.run(
        f"{built.repository}:latest",
        detach=True,
        network_mode="host",
        read_only=True,
        tmpfs={"/tmp": "size=256m", "/home/mcpgen": "size=64m"},
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        user="10001:10001",
        environment={"PORT": str(port), "MCPGEN_ENV": "kubernetes", "SENTINEL_TOKEN": SENTINEL},
        volumes={str(overlay): {"bind": "/app/config/config.kubernetes.yaml", "mode": "ro"}},
    )
    built.containers.append(container.id)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):  # up to a minute to start, as the startup probe allows
        with contextlib.suppress(httpx2.HTTPError):
            if httpx2.get(f"{base}/health/ready", timeout=2).status_code == 200:
                break
        container.reload()
        assert container.status in ("created", "running"), container.logs().decode()
        time.sleep(0.5)
    else:
        pytest.fail(f"not ready in 60 s:\n{container.logs().decode()}")
    headers = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})
    inside = httpx2.post(
        f"{base}/mcp", content=body, headers={**headers, "host": "demo.default.svc.cluster.local:8080"}
    )
    assert inside.status_code == 200
    assert "probe" in inside.text
    assert httpx2.post(f"{base}/mcp", content=body, headers=headers).status_code == 421  # Host 127.0.0.1
    assert httpx2.get(f"{base}/metrics").status_code == 200
    logs = [line for line in container.logs().decode().splitlines() if line.startswith("{")]
    assert logs
    assert all(isinstance(json.loads(line), dict) for line in logs)
    assert SENTINEL not in container.logs().decode()


@pytest.mark.anyio
async def test_run_serves_tools_over_mcp_as_non_root_with_the_secret(built: Built) -> None:
    port = free_port()
    name = f"{built.repository}-run"
    proc = mcpgen(
        built.env,
        "run", str(built.workspace), "--offline", "--base-image", BASE_IMAGE,
        "--network", "host", "--port", str(port), "--detach", "--name", name, "--json",
    )  # fmt: skip
    started = json.loads(proc.stdout)
    built.containers.append(started["containerId"])
    assert started["build"]["upToDate"] is True  # unchanged workspace: no rebuild
    assert "SENTINEL_TOKEN" in started["environment"]
    base = f"http://127.0.0.1:{port}"
    assert httpx2.get(f"{base}/health").status_code == 200
    assert httpx2.get(f"{base}/health/ready").status_code == 200
    async with Client(f"{base}/mcp") as client:
        names = sorted(t.name for t in (await client.list_tools()).tools)
        assert names == ["classify", "probe", "summarize", "translate"]
        probe = await client.call_tool("probe", {})
        assert probe.is_error is False
        assert probe.structured_content is not None
        assert probe.structured_content["uid"] != 0
        assert probe.structured_content["token"] == SENTINEL
        summary = await client.call_tool(
            "summarize", {"text": "One. Two is here. Three is last.", "max_length": 40}
        )
        assert summary.is_error is False


def _run_detached(built: Built, env: dict[str, str], *flags: str) -> tuple[dict[str, Any], str, str]:
    port = free_port()
    proc = mcpgen(
        env,
        "run", str(built.workspace), "--offline", "--base-image", BASE_IMAGE,
        "--network", "host", "--port", str(port), "--detach", "--json", *flags,
    )  # fmt: skip
    started = json.loads(proc.stdout)
    built.containers.append(started["containerId"])
    return started, f"http://127.0.0.1:{port}", proc.stdout + proc.stderr


async def _probe_token(base: str) -> object:
    async with Client(f"{base}/mcp") as client:
        probe = await client.call_tool("probe", {})
    assert probe.structured_content is not None
    return probe.structured_content["token"]


@pytest.mark.anyio
async def test_run_passes_a_credential_exported_on_the_host_over_the_stored_one(built: Built) -> None:
    """The reported defect: an exported credential shadowed the stored one and neither was passed."""
    exported = "exported-" + uuid.uuid4().hex
    started, base, output = _run_detached(built, {**built.env, "SENTINEL_TOKEN": exported})
    assert started["credentials"] == {"SENTINEL_TOKEN": "environment"}
    assert exported not in output  # names only, never values
    assert await _probe_token(base) == exported


@pytest.mark.anyio
async def test_secrets_as_files_keeps_credentials_out_of_the_container_environment(
    built: Built, docker_client: docker.DockerClient
) -> None:
    started, base, output = _run_detached(built, built.env, "--secrets-as-files")
    assert started["credentials"] == {"SENTINEL_TOKEN": "secret store"}
    assert started["secretsAsFiles"] is True
    assert SENTINEL not in output
    assert await _probe_token(base) == SENTINEL  # read from /run/secrets/SENTINEL_TOKEN at start-up
    attrs = docker_client.containers.get(started["containerId"]).attrs
    assert SENTINEL not in json.dumps(attrs["Config"]["Env"])  # what `docker inspect` shows
    assert "MCPGEN_SECRETS_DIR=/run/secrets" in attrs["Config"]["Env"]
    mount = next(m for m in attrs["Mounts"] if m["Destination"] == "/run/secrets")
    assert mount["RW"] is False
    assert not await anyio.Path(mount["Source"]).exists()  # removed from the host tmpfs once ready


def test_secret_is_in_no_layer_and_not_in_the_image_config(
    built: Built, docker_client: docker.DockerClient
) -> None:
    image = docker_client.images.get(f"{built.repository}:latest")
    blob = b"".join(image.save(named=False))
    assert SENTINEL.encode() not in blob
    names: list[str] = []
    with tarfile.open(fileobj=io.BytesIO(blob)) as outer:
        layers = [m for m in outer.getmembers() if m.name.endswith("layer.tar")]
        assert layers
        for member in layers:
            layer = outer.extractfile(member)
            assert layer is not None
            with tarfile.open(fileobj=io.BytesIO(layer.read())) as inner:
                names.extend(inner.getnames())
    assert any(n.endswith("tools/probe.py") for n in names)
    assert not [n for n in names if n.endswith(("secrets.enc", "secret.key", "audit.log"))]
    assert SENTINEL not in json.dumps(image.attrs)


def _layers(client: docker.DockerClient, ref: str) -> list[str]:
    return list(client.images.get(ref).attrs["RootFS"]["Layers"])


def test_one_tool_change_rebuilds_only_the_last_layers(
    built: Built, docker_client: docker.DockerClient
) -> None:
    before = _layers(docker_client, f"{built.repository}:latest")
    probe = built.workspace / "tools" / "probe.py"
    probe.write_text(probe.read_text().replace('"version": 1', '"version": 2'))
    proc = mcpgen(
        built.env, "build", str(built.workspace), "--offline", "--base-image", BASE_IMAGE,
        "--output", built.repository, "--json",
    )  # fmt: skip
    after = _layers(docker_client, json.loads(proc.stdout)["imageId"])
    assert after != before
    # base, venv (with every dependency), mcpgen wheel, user setup: identical; only tools/ onward differ
    common = next(i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b)
    assert common >= len(before) - 3
    log = (built.workspace / ".mcpgen" / "build.log").read_text()
    assert log.count("Using cache") >= 6


def test_push_remove_pull_and_run(built: Built, docker_client: docker.DockerClient) -> None:
    proc = mcpgen(
        built.env, "build", str(built.workspace), "--offline", "--base-image", BASE_IMAGE,
        "--output", built.repository, "--registry", REGISTRY, "--push", "--json",
    )  # fmt: skip
    data = json.loads(proc.stdout)
    remote = f"{REGISTRY}/{built.repository}:latest"
    assert remote in data["pushed"]
    for tag in data["tags"]:
        docker_client.images.remove(tag)
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(remote)
    docker_client.images.pull(f"{REGISTRY}/{built.repository}", tag="latest")
    port = free_port()
    container = docker_client.containers.run(
        remote,
        detach=True,
        network_mode="host",
        environment={"PORT": str(port), "MCPGEN_SERVER__HOST": "127.0.0.1"},
    )
    built.containers.append(container.id)
    from server_support import wait_http_ready

    assert wait_http_ready(f"http://127.0.0.1:{port}/health/ready", timeout=60), container.logs().decode()


def test_images_lists_and_prunes(built: Built) -> None:
    listed = json.loads(mcpgen(built.env, "images", str(built.workspace), "--json").stdout)
    ours = [i for i in listed["images"] if any(built.repository in t for t in i["tags"])]
    assert len(ours) >= 1
    pruned = json.loads(mcpgen(built.env, "images", str(built.workspace), "--prune", "1", "--json").stdout)
    in_use = {k["id"] for k in pruned["kept"]}
    assert len(listed["images"]) >= 2  # the first build and the one-tool rebuild
    assert len(pruned["removed"]) + len(in_use) == len(listed["images"]) - 1
    assert {i["id"] for i in pruned["images"]} - in_use == {listed["images"][0]["id"]}
    again = json.loads(mcpgen(built.env, "images", str(built.workspace), "--json").stdout)
    assert {i["id"] for i in again["images"]} == {i["id"] for i in pruned["images"]}


def test_failed_build_names_the_step_suggests_a_fix_and_tags_nothing(
    built: Built, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    empty = f"mcpgen-e2e-nopython:{uuid.uuid4().hex[:8]}"
    stub = io.BytesIO()
    with tarfile.open(fileobj=stub, mode="w") as tar:
        info = tarfile.TarInfo("etc/hostname")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"stub\n"))
    docker_client.api.import_image_from_data(
        stub.getvalue(), repository=empty.split(":")[0], tag=empty.split(":")[1]
    )
    stub_id = docker_client.images.get(empty).id
    try:
        workspace = tmp_path / "ws"
        shutil.copytree(built.workspace, workspace, ignore=shutil.ignore_patterns(".mcpgen"))
        (workspace / "mcpgen.yaml").write_text("name: demo\nbuild:\n  python_version: '3.11'\n")
        repository = f"mcpgen-e2e-fail-{uuid.uuid4().hex[:6]}"
        proc = mcpgen(
            built.env, "build", str(workspace), "--base-image", empty, "--output", repository, check=False
        )
        assert proc.returncode == 1
        assert "build failed at step: Building image" in proc.stderr
        assert "python3 -m venv" in proc.stderr
        assert "hint:" in proc.stderr
        assert not docker_client.images.list(name=repository)
        assert "removed 1 intermediate image(s)" in (workspace / ".mcpgen" / "build.log").read_text()
        # nothing left behind: no image built on the stub (the ENV step's layer), no context folder
        children = [i.id for i in docker_client.images.list(all=True) if i.attrs.get("Parent") == stub_id]
        assert children == []
        assert not (workspace / ".mcpgen" / "build" / "context").exists()
    finally:
        docker_client.images.remove(empty, force=True)
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(stub_id)
