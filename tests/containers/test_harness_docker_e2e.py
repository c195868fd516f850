"""The testing harness's Docker helpers on a real engine: the ``mcp_docker`` fixture builds the workspace
image (offline, on the test base image), runs it, waits until it is ready; the SDK client calls a tool
in it; leaving the test removes the container (and this module removes its image)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from docker_support import BASE_IMAGE

from mcpgen.testing import assert_tool_ok, client_for
from mcpgen.testing.plugin import DockerHelper
from mcpgen.workflows.init import init_workspace

pytestmark = [
    pytest.mark.docker,
    pytest.mark.integration,
    pytest.mark.timeout(900),
    pytest.mark.xdist_group("docker"),  # every image-building module on one worker (see test_polyglot_e2e.py)
]

REPOSITORY = f"mcpgen-harness-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def mcp_workspace(
    docker_client: docker.DockerClient, tmp_path: Path, wheel_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh ``mcpgen init`` workspace (the plugin's fixture, overridden as a user would)."""
    monkeypatch.setenv("MCPGEN_CACHE_DIR", str(wheel_cache))
    root = tmp_path / "harness-docker"
    init_workspace(root)
    yield root
    for image in docker_client.images.list(name=REPOSITORY):
        with contextlib.suppress(docker.errors.APIError):
            docker_client.images.remove(image.id, force=True)


@pytest.mark.anyio
async def test_mcp_docker_builds_runs_and_removes_the_container(
    mcp_docker: DockerHelper, docker_client: docker.DockerClient
) -> None:
    container = mcp_docker.start(base_image=BASE_IMAGE, offline=True, network="host", tag=REPOSITORY)
    assert container.image.startswith(f"{REPOSITORY}:")
    assert docker_client.containers.get(container.id).status == "running"
    async with client_for(container.mcp_url, "2025-11-25") as client:
        assert_tool_ok(await client.call_tool("greet", {"name": "Ada"}), text="Hello, Ada.")
    async with client_for(container.mcp_url, "2026-07-28") as client:
        assert_tool_ok(await client.call_tool("greet", {"name": "Bo"}), text="Hello, Bo.")
    mcp_docker.close()
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(container.id)
