"""The build workflow against a fake ImageBuilder: steps, checkpoints, --resume, failures, --dry-run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

import orjson
import pytest

from mcpgen.build.docker_engine import ContainerSpec, ImageInfo, LineSink
from mcpgen.build.plan import BuildOptions, PythonTarget
from mcpgen.errors import ImageBuildError
from mcpgen.workflows.build import build

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"


class FakeEngine:
    def __init__(self, fail_with: str | None = None) -> None:
        self.fail_with = fail_with
        self.builds = 0
        self.tags: dict[str, str] = {}
        self.images: dict[str, ImageInfo] = {}
        self.contexts: list[bytes] = []

    def ping(self) -> str:
        return "fake"

    def inspect_image(self, ref: str) -> ImageInfo | None:
        return self.images.get(self.tags.get(ref, ref))

    def probe_python(self, image: str) -> PythonTarget:
        return PythonTarget("3.11", source="probe")

    def build(self, context: IO[bytes], *, no_cache: bool, platform: str | None, on_line: LineSink) -> str:
        self.builds += 1
        self.contexts.append(context.read())
        on_line("Step 1/2 : FROM base")
        if self.fail_with:
            on_line(self.fail_with)
            raise ImageBuildError(
                f"the Docker build failed: {self.fail_with}", step="Building image", output=self.fail_with
            )
        image_id = f"sha256:{self.builds:064d}"
        self.images[image_id] = ImageInfo(id=image_id, tags=[], size=123, created="2026")
        return image_id

    def tag(self, image_id: str, ref: str) -> None:
        self.tags[ref] = image_id

    def push(self, ref: str, *, auth: Mapping[str, str] | None, on_line: LineSink) -> None:
        raise NotImplementedError

    def pull(self, ref: str, *, auth: Mapping[str, str] | None = None) -> str:
        raise NotImplementedError

    def remove_image(self, ref: str, *, force: bool = False) -> None:
        self.images.pop(ref, None)

    def list_images(self, label: str) -> list[ImageInfo]:
        return list(self.images.values())

    def save_image(self, ref: str) -> Iterator[bytes]:
        raise NotImplementedError

    def run(self, spec: ContainerSpec) -> str:
        raise NotImplementedError

    def container_logs(self, container_id: str, *, follow: bool, tail: int | None = None) -> Iterator[str]:
        raise NotImplementedError

    def container_status(self, container_id: str) -> str:
        return "removed"

    def stop(self, container_id: str, *, timeout: int = 10) -> None:
        pass

    def remove_container(self, container_id: str) -> None:
        pass

    def has_buildx(self) -> bool:
        return False


class Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []

    def start(self, index: int, total: int, name: str) -> None:
        self.events.append(f"Step {index}/{total}: {name}")

    def finish(self, name: str, elapsed: float, note: str = "") -> None:
        self.events.append(f"done {name} ({note})")

    def line(self, text: str) -> None:
        self.events.append(f"> {text}")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns(".mcpgen", "__pycache__"))
    return target


def test_build_reports_steps_logs_tags_and_checkpoints(workspace: Path) -> None:
    engine, progress = FakeEngine(), Recorder()
    result = build(workspace, BuildOptions(base_image="base:1"), engine=engine, progress=progress, environ={})
    assert engine.builds == 1
    assert next(e for e in progress.events if e.startswith("Step ")) == "Step 1/8: Checking the Docker engine"
    assert "Step 7/8: Building image" in progress.events
    assert "> Step 1/2 : FROM base" in progress.events
    assert sorted(engine.tags) == sorted(result.tags)
    assert result.tags[0] == "demo:latest"
    assert result.tools == ["classify", "summarize", "translate"]
    log = (workspace / ".mcpgen" / "build.log").read_text()
    assert "Step 7/8: Building image" in log
    assert "Step 1/2 : FROM base" in log
    checkpoint = orjson.loads((workspace / ".mcpgen" / "build" / "checkpoint.json").read_bytes())
    assert checkpoint["image"] == result.image_id
    assert checkpoint["context"]


def test_unchanged_workspace_is_not_rebuilt_and_resume_skips_generation(workspace: Path) -> None:
    engine = FakeEngine()
    first = build(workspace, BuildOptions(base_image="base:1"), engine=engine, environ={})
    progress = Recorder()
    again = build(
        workspace,
        BuildOptions(base_image="base:1"),
        engine=engine,
        progress=progress,
        environ={},
        resume=True,
    )
    assert engine.builds == 1
    assert again.cached
    assert again.image_id == first.image_id
    assert "done Discovering and validating (resumed from checkpoint)" in progress.events
    assert "done Building image (up to date)" in progress.events
    (workspace / "tools" / "summarize.py").write_text(
        (workspace / "tools" / "summarize.py").read_text() + "\n# changed\n"
    )
    progress = Recorder()
    changed = build(
        workspace,
        BuildOptions(base_image="base:1"),
        engine=engine,
        progress=progress,
        environ={},
        resume=True,
    )
    assert engine.builds == 2
    assert not changed.cached
    assert "done Discovering and validating (3 tool(s))" in progress.events


def test_failed_build_names_the_step_and_tags_nothing(workspace: Path) -> None:
    engine = FakeEngine(fail_with="E: python3: not found")
    with pytest.raises(ImageBuildError) as info:
        build(workspace, BuildOptions(base_image="base:1"), engine=engine, environ={})
    assert info.value.step == "Building image"
    assert engine.tags == {}
    assert "FAILED at step 7/8: Building image" in (workspace / ".mcpgen" / "build.log").read_text()


def test_dry_run_touches_neither_docker_nor_disk(workspace: Path) -> None:
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    proc = subprocess.run(
        [sys.executable, "-m", "mcpgen", "build", str(workspace), "--dry-run", "--json", "--offline"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = orjson.loads(proc.stdout)
    assert data["dryRun"] is True
    assert data["offline"] is True
    assert "COPY wheels/deps/" in data["dockerfile"]
    assert data["tags"][0] == "demo:latest"
    assert not (workspace / ".mcpgen").exists()
