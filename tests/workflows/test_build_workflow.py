"""The build workflow against a fake ImageBuilder: steps, checkpoints, --resume, failures, --dry-run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from fake_engine import FakeEngine
from mcpgen.build.docker_engine import ImageInfo
from mcpgen.build.plan import BuildOptions
from mcpgen.errors import DockerError, ImageBuildError, UsageError, WorkspaceError
from mcpgen.workflows.build import STEPS, BuildResult, build, check_platforms
from mcpgen.workflows.run import dev_mounts

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"


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


def checkpoint_of(workspace: Path) -> dict[str, object]:
    data: dict[str, object] = orjson.loads((workspace / ".mcpgen" / "build" / "checkpoint.json").read_bytes())
    return data


def edit_completed(workspace: Path, change: Callable[[list[str]], list[str]]) -> Path:
    """Rewrite the checkpoint's finished steps (as another version, or another step list, would have)."""
    path = workspace / ".mcpgen" / "build" / "checkpoint.json"
    data = orjson.loads(path.read_bytes())
    data["completed"] = change(data["completed"])
    path.write_bytes(orjson.dumps(data))
    return path


def resume(workspace: Path, engine: FakeEngine) -> tuple[Recorder, BuildResult]:
    progress = Recorder()
    options = BuildOptions(base_image="base:1")
    result = build(workspace, options, engine=engine, progress=progress, environ={}, resume=True)
    return progress, result


def test_checkpoint_records_finished_steps_by_name(workspace: Path) -> None:
    build(workspace, BuildOptions(base_image="base:1"), engine=FakeEngine(), environ={})
    assert checkpoint_of(workspace)["completed"] == [step.name for step in STEPS]


def test_resume_after_a_failure_at_a_named_step_takes_what_finished(workspace: Path) -> None:
    engine = FakeEngine(fail_with="E: no space left on device")
    with pytest.raises(ImageBuildError):
        build(workspace, BuildOptions(base_image="base:1"), engine=engine, environ={})
    names = [step.name for step in STEPS]
    assert checkpoint_of(workspace)["completed"] == names[: names.index("Building image")]
    engine.fail_with = None
    progress, result = resume(workspace, engine)
    assert "done Discovering and validating (resumed from checkpoint)" in progress.events
    assert "done Writing manifest (resumed)" in progress.events
    assert engine.builds == 2
    assert sorted(engine.tags) == sorted(result.tags)
    assert checkpoint_of(workspace)["completed"] == names


def test_resume_after_a_failure_while_writing_the_manifest_discovers_again(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = FakeEngine()
    build(workspace, BuildOptions(base_image="base:1"), engine=engine, environ={})
    manifest = workspace / ".mcpgen" / "manifest.json"
    manifest.write_text('{"stale": true}')  # what a half-finished write could leave

    def disk_full(*args: object) -> None:
        raise WorkspaceError("disk full")

    monkeypatch.setattr("mcpgen.workflows.build.write_manifest", disk_full)
    with pytest.raises(ImageBuildError) as info:
        build(workspace, BuildOptions(base_image="base:1"), engine=engine, environ={})
    assert info.value.step == "Writing manifest"
    assert checkpoint_of(workspace)["completed"] == [
        "Checking the Docker engine",
        "Discovering and validating",
    ]
    monkeypatch.undo()
    progress, _ = resume(workspace, engine)
    assert "done Discovering and validating (3 tool(s))" in progress.events
    assert "done Writing manifest ()" in progress.events
    assert "stale" not in manifest.read_text()


def test_resume_goes_by_name_not_by_position(workspace: Path) -> None:
    """A checkpoint that lacks a step (a step renamed or moved) resumes before it, never after."""
    engine = FakeEngine()
    build(workspace, BuildOptions(base_image="base:1"), engine=engine, environ={})
    edit_completed(workspace, lambda names: [n for n in names if n != "Discovering and validating"])
    progress, _ = resume(workspace, engine)
    assert "done Discovering and validating (3 tool(s))" in progress.events
    assert "done Writing manifest ()" in progress.events


def test_a_checkpoint_naming_an_unknown_step_is_ignored_with_a_warning(workspace: Path) -> None:
    engine = FakeEngine()
    build(workspace, BuildOptions(base_image="base:1"), engine=engine, environ={})
    path = edit_completed(workspace, lambda names: [names[0], "Compiling tools", *names[1:]])
    progress, result = resume(workspace, engine)
    warning = next(e for e in progress.events if "Compiling tools" in e)
    assert warning.startswith(f"> warning: ignoring {path}:")
    assert "every step runs" in warning
    assert progress.events.index(warning) < progress.events.index("Step 1/8: Checking the Docker engine")
    assert "done Discovering and validating (3 tool(s))" in progress.events
    assert engine.builds == 2  # the checkpoint's image is not trusted either
    assert not result.cached
    assert "Compiling tools" in (workspace / ".mcpgen" / "build.log").read_text()
    assert checkpoint_of(workspace)["completed"] == [step.name for step in STEPS]


def test_failed_build_names_the_step_and_tags_nothing(workspace: Path) -> None:
    engine = FakeEngine(fail_with="E: python3: not found")
    with pytest.raises(ImageBuildError) as info:
        build(workspace, BuildOptions(base_image="base:1"), engine=engine, environ={})
    assert info.value.step == "Building image"
    assert engine.tags == {}
    assert "FAILED at step 7/8: Building image" in (workspace / ".mcpgen" / "build.log").read_text()


def test_failed_build_removes_its_context_and_wheels(workspace: Path) -> None:
    engine = FakeEngine(fail_with="E: python3: not found")
    with pytest.raises(ImageBuildError):
        build(workspace, BuildOptions(base_image="base:1"), engine=engine, environ={})
    assert engine.contexts  # the context was rendered and sent
    assert not (workspace / ".mcpgen" / "build" / "context").exists()
    assert not (workspace / ".mcpgen" / "build" / "wheels").exists()
    assert "removed the build context" in (workspace / ".mcpgen" / "build.log").read_text()


class TagFailsEngine(FakeEngine):
    """Tagging the second ref fails (e.g. the engine went away mid-build)."""

    def tag(self, image_id: str, ref: str) -> None:
        if ref.endswith(":v0.1.0"):
            raise DockerError(f"tagging {ref}: engine gone")
        super().tag(image_id, ref)


def test_a_failure_while_tagging_takes_back_the_tags_it_moved(workspace: Path) -> None:
    engine = TagFailsEngine()
    engine.images["sha256:old"] = ImageInfo(id="sha256:old", tags=["demo:latest"], size=1, created="2025")
    engine.tags["demo:latest"] = "sha256:old"
    with pytest.raises(ImageBuildError) as info:
        build(workspace, BuildOptions(base_image="base:1"), engine=engine, environ={})
    assert info.value.step == "Tagging"
    assert engine.tags == {"demo:latest": "sha256:old"}  # moved back, nothing new left tagged
    assert not (workspace / ".mcpgen" / "build" / "context").exists()


def test_more_than_one_platform_needs_buildx() -> None:
    check_platforms(("linux/amd64",), lambda: False)
    with pytest.raises(UsageError) as info:
        check_platforms(("linux/amd64", "linux/arm64"), lambda: False)
    assert "docker buildx" in info.value.message
    assert "not installed" in info.value.message
    assert "linux/amd64,linux/arm64" in info.value.message
    with pytest.raises(UsageError) as info:
        check_platforms(("linux/amd64", "linux/arm64"), lambda: True)
    assert "one platform per build" in info.value.message


def test_multi_platform_build_stops_before_anything_runs(workspace: Path) -> None:
    engine = FakeEngine()
    with pytest.raises(UsageError):
        build(
            workspace,
            BuildOptions(base_image="base:1", platforms=("linux/amd64", "linux/arm64")),
            engine=engine,
            environ={},
        )
    assert engine.builds == 0
    assert not (workspace / ".mcpgen").exists()


def test_dev_mounts_must_be_readable_by_the_container_user(workspace: Path) -> None:
    mounts = dev_mounts(workspace)
    assert mounts == {str((workspace / "tools").resolve()): "/app/tools"}
    secret = workspace / "tools" / "summarize.py"
    secret.chmod(0o600)
    with pytest.raises(UsageError) as info:
        dev_mounts(workspace)
    assert str(secret.resolve()) in info.value.message
    assert "uid 10001" in info.value.message
    assert "chmod -R o+rX" in info.value.message


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


def test_push_dry_run_says_what_would_be_pushed_and_touches_nothing(workspace: Path) -> None:
    before = sorted((p.relative_to(workspace), p.stat().st_mtime_ns) for p in workspace.rglob("*"))
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    base = [sys.executable, "-m", "mcpgen", "build", str(workspace), "--push", "--dry-run"]
    registry = ["--registry", "127.0.0.1:5000/team"]
    proc = subprocess.run([*base, *registry, "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = orjson.loads(proc.stdout)
    assert data["push"] is True
    assert [p["ref"] for p in data["pushes"]] == data["tags"]
    assert {p["registry"] for p in data["pushes"]} == {"127.0.0.1:5000"}
    assert data["tags"][0] == "127.0.0.1:5000/team/demo:latest"
    human = subprocess.run([*base, *registry], capture_output=True, text=True, env=env, timeout=120)
    assert human.returncode == 0, human.stderr
    assert "Would push to 127.0.0.1:5000 (dry run: nothing pushed)" in human.stdout
    assert "  127.0.0.1:5000/team/demo:v0.1.0" in human.stdout
    hub = subprocess.run(base, capture_output=True, text=True, env=env, timeout=120)
    assert "Would push to docker.io" in hub.stdout
    assert "goes to Docker Hub" in hub.stdout
    after = sorted((p.relative_to(workspace), p.stat().st_mtime_ns) for p in workspace.rglob("*"))
    assert after == before  # not a file written, not one touched
