"""Helpers for runtime tests: build manifests from tool files, run the server as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mcpgen.authoring import collect, import_file
from mcpgen.discovery.describe import describe
from mcpgen.manifest import Capabilities, Manifest, ServerInfo, write
from mcpgen.runtime import Settings
from server_support import free_port, stop_process, wait_ready

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runtime"
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def fixture_files(name: str = "basic") -> dict[str, str]:
    """The tool files of a fixture workspace, as ``{relative path: text}``."""
    root = FIXTURES / name
    return {str(p.relative_to(root / "tools")): p.read_text() for p in sorted((root / "tools").glob("*.py"))}


def make_manifest(tmp_path: Path, files: dict[str, str], **settings: Any) -> tuple[Manifest, Settings]:
    """Write ``files`` to ``tmp_path/tools/``, describe them in-process, return ``(manifest, settings)``.

    The manifest is also written to ``tmp_path/.mcpgen/manifest.json``.
    """
    namespace = f"ws_{uuid.uuid4().hex[:12]}"
    tools_dir = tmp_path / "tools"
    tools_dir.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (tools_dir / name).write_text(text)
    tools, resources, prompts = [], [], []
    for name in sorted(files):
        path = tools_dir / name
        defs = collect(import_file(tmp_path, path, namespace=f"{namespace}_describe"))
        t, r, p, _ = describe(defs, f"tools/{name}")
        tools += t
        resources += r
        prompts += p
    manifest = Manifest(
        mcpgen_version="0.1.0",
        server=ServerInfo(name="runtime-test", version="1.2.3"),
        tools=tools,
        resources=resources,
        prompts=prompts,
        capabilities=Capabilities(tools=bool(tools), resources=bool(resources), prompts=bool(prompts)),
    )
    write(manifest, tmp_path / ".mcpgen" / "manifest.json")
    return manifest, Settings.of(tmp_path, module_namespace=namespace, **settings)


def runtime_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class RunningServer:
    proc: subprocess.Popen[bytes]
    port: int
    stderr_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/mcp"

    def log(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stop(self) -> int:
        return stop_process(self.proc)


def start_server(tmp_path: Path, *extra: str) -> RunningServer:
    """Start ``python -m mcpgen.runtime`` on a free port; wait (bounded) for /health/ready."""
    port = free_port()
    stderr_path = tmp_path / f"server-{port}.log"
    cmd = [
        sys.executable,
        "-m",
        "mcpgen.runtime",
        "--manifest",
        str(tmp_path / ".mcpgen" / "manifest.json"),
        "--port",
        str(port),
        *extra,
    ]
    with stderr_path.open("wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=runtime_env())
    server = RunningServer(proc, port, stderr_path)
    if wait_ready(proc, port, server.log, timeout=20):
        return server
    server.stop()
    raise RuntimeError(f"server did not become ready:\n{server.log()}")


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server for the HTTP tests of a module (the basic fixture workspace, thread pool of 2)."""
    tmp_path = tmp_path_factory.mktemp("http")
    make_manifest(tmp_path, fixture_files())
    server = start_server(tmp_path, "--threads", "2")
    try:
        yield server
    finally:
        server.stop()
