"""Plugins in a real image (one build): a Dockerfile instruction and a label a plugin added are in the
image, the Dockerfile linter passed it, and the plugin's middleware guards calls in the running container."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import docker
import pytest
from docker_support import BASE_IMAGE
from mcp import Client

from server_support import free_port, wait_http_ready

pytestmark = [
    pytest.mark.docker,
    pytest.mark.integration,
    pytest.mark.timeout(900),
    pytest.mark.xdist_group("docker"),  # every image-building module on one worker
]

ROOT = Path(__file__).resolve().parents[2]
TOOL = 'from mcpgen import tool\n\n@tool\ndef echo(text: str) -> str:\n    """Echo."""\n    return text\n'
PLUGIN = '''
"""Stamps the image and refuses calls with forbidden text."""
from mcpgen.plugins import Env, Label, hookimpl
from mcpgen.runtime import CallError


class Guard:
    async def __call__(self, call, call_next):
        if call.method == "tools/call" and (call.arguments or {}).get("text") == "forbidden":
            raise CallError(-32001, "refused by the guard plugin")
        return await call_next(call)


@hookimpl
def mcpgen_dockerfile(dockerfile):
    dockerfile.add("final", Env({"MCPGEN_STAMP": "stamped"}), Label("com.example.stamp", "yes"))


@hookimpl
def mcpgen_middleware():
    return [Guard()]
'''


def build_workspace(workspace: Path, repository: str, wheel_cache: Path) -> subprocess.CompletedProcess[str]:
    (workspace / "tools").mkdir(parents=True)
    (workspace / "tools" / "echo.py").write_text(TOOL)
    (workspace / "plugins").mkdir()
    (workspace / "plugins" / "guard.py").write_text(PLUGIN)
    (workspace / "plugins" / "dockerfile_lint.py").write_text(
        (ROOT / "examples" / "plugins" / "dockerfile_lint.py").read_text()
    )
    env = {**os.environ, "MCPGEN_CACHE_DIR": str(wheel_cache)}
    return subprocess.run(
        [sys.executable, "-m", "mcpgen", "build", str(workspace), "--offline", "--base-image", BASE_IMAGE,
         "--output", repository, "--json"],
        capture_output=True, text=True, env=env, timeout=800,
    )  # fmt: skip


@pytest.fixture
def repository(docker_client: docker.DockerClient) -> Iterator[str]:
    """The image's repository; its images and containers are removed at the end."""
    name = f"mcpgen-e2e-plugins-{uuid.uuid4().hex[:8]}"
    yield name
    for container in docker_client.containers.list(all=True, filters={"ancestor": f"{name}:latest"}):
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)
    for found in docker_client.images.list(name=name):
        with contextlib.suppress(docker.errors.APIError):
            docker_client.images.remove(found.id, force=True)


@pytest.mark.anyio
async def test_plugins_shape_the_image_and_guard_calls_in_the_container(
    docker_client: docker.DockerClient, wheel_cache: Path, tmp_path: Path, repository: str
) -> None:
    workspace = tmp_path / "plugged"
    proc = await anyio.to_thread.run_sync(build_workspace, workspace, repository, wheel_cache)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    image = docker_client.images.get(f"{repository}:latest")
    config = image.attrs["Config"]
    assert "MCPGEN_STAMP=stamped" in config["Env"]
    assert config["Labels"]["com.example.stamp"] == "yes"
    assert config["User"] == "10001:10001"
    dockerfile = (workspace / ".mcpgen" / "build" / "context" / "Dockerfile").read_text()
    assert "# added by plugin guard" in dockerfile
    assert "dockerfile_lint" not in proc.stderr  # the linter found nothing in what was built

    port = free_port()
    container = docker_client.containers.run(
        f"{repository}:latest",
        detach=True,
        network_mode="host",
        environment={"PORT": str(port), "MCPGEN_SERVER__HOST": "127.0.0.1"},
    )
    ready = await anyio.to_thread.run_sync(wait_http_ready, f"http://127.0.0.1:{port}/health/ready", 60)
    assert ready, container.logs().decode()
    async with Client(f"http://127.0.0.1:{port}/mcp") as client:
        ok = await client.call_tool("echo", {"text": "hi"})
        assert ok.is_error is False
        with pytest.raises(Exception, match="refused by the guard plugin"):
            await client.call_tool("echo", {"text": "forbidden"})
    assert "failed" not in container.logs().decode()  # every plugin loaded in the slim image
