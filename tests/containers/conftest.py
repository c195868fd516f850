"""Docker tests: a reachable engine and the test base image, or a skip (a failure when required).

``MCPGEN_REQUIRE_DOCKER=1`` (set by ``.ci/run``) turns "no engine" into a
failure. The base image (``MCPGEN_TEST_BASE_IMAGE``, default
``mcpgen-test-base:bookworm``) comes from ``scripts/provision-docker.sh``; the
local registry listens on ``127.0.0.1:${MCPGEN_TEST_REGISTRY_PORT:-5000}``.
Wheels are cached for the whole run in one session-wide ``MCPGEN_CACHE_DIR``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from docker_support import BASE_IMAGE

REQUIRED = os.environ.get("MCPGEN_REQUIRE_DOCKER", "") not in ("", "0")


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"MCPGEN_REQUIRE_DOCKER is set but {reason} (run scripts/provision-docker.sh)")
    pytest.skip(f"Docker tests skipped: {reason} (run scripts/provision-docker.sh to enable them)")


def _ping() -> str | None:
    """``None`` when the engine at DOCKER_HOST answers ``/_ping``, else why not (plain sockets, no leaks)."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        if host.startswith("unix://"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            address: Any = host.removeprefix("unix://")
        elif host.startswith("tcp://"):
            name, _, port = host.removeprefix("tcp://").partition(":")
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            address = (name, int(port or 2375))
        else:
            return None  # ssh:// and the like: let the SDK try
        with sock:
            sock.settimeout(5)
            sock.connect(address)
            sock.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            answer = sock.recv(64)
    except OSError as exc:
        return f"no Docker engine answers at {host} ({exc.__class__.__name__})"
    return None if b" 200 " in answer else f"the engine at {host} answered {answer[:30]!r}"


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    problem = _ping()
    if problem is not None:
        _unavailable(problem)
    client: docker.DockerClient | None = None
    try:
        client = docker.from_env(timeout=600, version="1.41")  # no version probe that could leak a socket
        client.ping()
    except Exception as exc:
        if client is not None:
            client.close()
        _unavailable(f"no Docker engine answers ({exc.__class__.__name__})")
        raise
    try:
        client.images.get(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        _unavailable(f"the base image {BASE_IMAGE} is missing")
    yield client
    client.close()


@pytest.fixture(scope="session")
def wheel_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One wheelhouse cache for the run (MCPGEN_CACHE_DIR if set, so CI can reuse it across runs)."""
    if os.environ.get("MCPGEN_CACHE_DIR"):
        return Path(os.environ["MCPGEN_CACHE_DIR"])
    return tmp_path_factory.mktemp("mcpgen-cache")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
