"""Docker-out-of-Docker: the image of mcpgen itself (the repository's Dockerfile) builds a workspace's image.

``scripts/build-mcpgen-image.py`` builds the mcpgen image offline on the
debootstrap base image (wheels fetched on the host). A container of it, given
the host's Docker socket and host networking, then runs ``mcpgen build`` on a
copy of examples/demo; the image it builds must appear on the host's engine.
The wheel cache is mounted at the same path, so the build inside needs no
network either. Images are named ``mcpgen-e2e-dood-*`` and removed at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import docker
import pytest
from docker_support import BASE_IMAGE

from mcpgen.build.docker_engine import DockerEngine
from mcpgen.build.wheelhouse import download_wheels

# the same worker as test_docker_e2e.py: both build project "demo" (see there)
pytestmark = [
    pytest.mark.docker,
    pytest.mark.integration,
    pytest.mark.timeout(600),
    pytest.mark.xdist_group("docker"),  # see test_polyglot_e2e.py: every image-building module on one worker
]

ROOT = Path(__file__).resolve().parents[2]
SOCKET = "/var/run/docker.sock"


def test_mcpgen_in_a_container_builds_an_image_on_the_host_engine(
    docker_client: docker.DockerClient, wheel_cache: Path, tmp_path: Path
) -> None:
    if os.environ.get("DOCKER_HOST", f"unix://{SOCKET}") != f"unix://{SOCKET}" or not Path(SOCKET).exists():
        pytest.skip(f"Docker-out-of-Docker mounts {SOCKET}; this engine is elsewhere")
    suffix = uuid.uuid4().hex[:8]
    tool_image = f"mcpgen-e2e-dood-{suffix}:latest"
    output = f"mcpgen-e2e-dood-demo-{suffix}"
    env = {**os.environ, "MCPGEN_CACHE_DIR": str(wheel_cache)}
    workspace = tmp_path / "demo"
    shutil.copytree(
        ROOT / "examples" / "demo", workspace, ignore=shutil.ignore_patterns(".mcpgen", "__pycache__")
    )
    try:
        proc = subprocess.run(
            [
                sys.executable, str(ROOT / "scripts" / "build-mcpgen-image.py"), "--quiet",
                "--base-image", BASE_IMAGE, "--tag", tool_image, "--wheelhouse", str(tmp_path / "wheels"),
            ],
            capture_output=True, text=True, env=env, timeout=400,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        labels = docker_client.images.get(tool_image).attrs["Config"]
        assert labels["Entrypoint"] == ["mcpgen"]

        # the inner build reads its wheels from the cache, as an air-gapped machine would: fill it here
        plan = subprocess.run(
            [sys.executable, "-m", "mcpgen", "build", str(workspace), "--dry-run", "--json", "--offline"],
            capture_output=True, text=True, env=env, timeout=120, check=True,
        )  # fmt: skip
        download_wheels(
            json.loads(plan.stdout)["requirements"],
            DockerEngine().probe_python(BASE_IMAGE),
            cache=wheel_cache,
        )

        logs = docker_client.containers.run(
            tool_image,
            ["build", "/work", "--offline", "--base-image", BASE_IMAGE, "--output", output, "--json"],
            volumes={
                SOCKET: {"bind": SOCKET, "mode": "rw"},
                str(workspace): {"bind": "/work", "mode": "rw"},
                str(wheel_cache): {"bind": str(wheel_cache), "mode": "ro"},
            },
            environment={"MCPGEN_CACHE_DIR": str(wheel_cache)},
            network_mode="host",
            remove=True,
            stdout=True,
            stderr=False,
        )
        result = json.loads(logs.decode())
        assert result["tools"] == ["classify", "summarize", "translate"]
        image = docker_client.images.get(f"{output}:latest")  # on the host's engine
        assert image.id == result["imageId"]
        assert image.attrs["Config"]["Labels"]["io.mcpgen.project"] == "demo"
        assert (workspace / ".mcpgen" / "build.log").is_file()  # written through the mount
    finally:
        for ref in [tool_image, *(t for i in docker_client.images.list(name=output) for t in i.tags)]:
            with contextlib.suppress(docker.errors.APIError):
                docker_client.images.remove(ref, force=True)
