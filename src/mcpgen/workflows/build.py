"""``mcpgen build``: discover → validate → generate → plan → wheelhouse → context → image → tags (→ push).

Each step reports its name and elapsed time to a :class:`Progress` and to
``.mcpgen/build.log`` (timestamped, with the full Docker output). A failure
names its step, keeps the engine's output and a hint, tags nothing and
removes the half-written context.

The steps are data: :data:`STEPS`, each a :class:`Step` (its name and the
function that does it, taking and filling in one :class:`BuildState`). To add a step,
write its function and put it in the list. After each step its name is
recorded in the checkpoint (:mod:`mcpgen.build.checkpoint`); ``--resume`` with
unchanged inputs takes, instead of running them again, the results of the
finished steps that have a ``restore`` (discovery: the manifest on disk), up to
the first step the checkpoint does not name. A checkpoint naming a step no
build has (another mcpgen version) is ignored, with a warning. An unchanged
workspace whose image still exists is not rebuilt at all.

Python version of the base image (what the offline wheelhouse is fetched
for), in this order: ``build.python_version`` in ``mcpgen.yaml``; a probe
(``python3`` run in a throwaway container) when the base image is present
locally; the tag of an official ``python:X.Y-...`` image; else 3.12.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO, TypeVar

from mcpgen import manifest as manifest_io
from mcpgen.build.checkpoint import Checkpoint, inputs_hash, load_checkpoint, save_checkpoint
from mcpgen.build.context import config_files, context_hash, render_context, source_files, tar_context
from mcpgen.build.docker_engine import DockerEngine, ImageBuilder
from mcpgen.build.plan import (
    DEFAULT_BASE_IMAGE,
    BuildOptions,
    BuildPlan,
    PythonTarget,
    make_plan,
    python_from_tag,
)
from mcpgen.build.server_json import registry_name
from mcpgen.build.wheelhouse import build_self_wheel, cache_dir, download_wheels, runtime_requirements
from mcpgen.config.project import PROJECT_FILE, BuildSettings
from mcpgen.errors import (
    DockerError,
    ImageBuildError,
    McpgenError,
    UsageError,
    ValidationFailed,
)
from mcpgen.manifest import Manifest
from mcpgen.secrets import SecretStore
from mcpgen.workflows.generate import Generated, generate, write_manifest
from mcpgen.workflows.project import STATE_DIR, Project, load_project

DEFAULT_PYTHON = "3.12"
BUILD_DIR = "build"
LOG_FILE = "build.log"
WRITE_MANIFEST = "Writing manifest"


class Progress(Protocol):
    """Where a build reports: step starts and ends, and streamed output lines."""

    def start(self, index: int, total: int, name: str) -> None: ...
    def finish(self, name: str, elapsed: float, note: str = "") -> None: ...
    def line(self, text: str) -> None: ...


class NullProgress:
    def start(self, index: int, total: int, name: str) -> None:
        pass

    def finish(self, name: str, elapsed: float, note: str = "") -> None:
        pass

    def line(self, text: str) -> None:
        pass


@dataclass
class BuildResult:
    image_id: str
    tags: list[str]
    size: int
    tools: list[str]
    connectors: list[str]
    duration: float
    cached: bool
    pushed: list[str] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    log: str = ""

    def to_data(self) -> dict[str, Any]:
        return {
            "imageId": self.image_id,
            "tags": self.tags,
            "size": self.size,
            "tools": self.tools,
            "connectors": self.connectors,
            "durationSeconds": round(self.duration, 2),
            "upToDate": self.cached,
            "pushed": self.pushed,
            "steps": self.steps,
            "log": self.log,
        }


def merge_options(options: BuildOptions, settings: BuildSettings) -> BuildOptions:
    """Command line over ``mcpgen.yaml``."""
    return replace(
        options,
        base_image=options.base_image or settings.base_image,
        registry=options.registry or settings.registry,
        offline=options.offline or settings.offline,
        tags=(*settings.tags, *options.tags),
        allowed_hosts=options.allowed_hosts or settings.allowed_hosts,
        allowed_origins=options.allowed_origins or settings.allowed_origins,
    )


class BuildLog:
    """``.mcpgen/build.log``: every step and every line of output, with UTC timestamps."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._fh: TextIO | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = path.open("w", encoding="utf-8")

    def write(self, text: str) -> None:
        if self._fh is not None:
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
            self._fh.write(f"{stamp} {text}\n")
            self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


class _StepReporter:
    def __init__(self, names: list[str], progress: Progress, log: BuildLog) -> None:
        self.names = names
        self.progress = progress
        self.log = log
        self.done: list[dict[str, Any]] = []

    @contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        """Run a step; the yielded list takes a note (e.g. "cached") for the summary line."""
        index = self.names.index(name) + 1
        self.progress.start(index, len(self.names), name)
        self.log.write(f"Step {index}/{len(self.names)}: {name}")
        started = time.monotonic()
        note: list[str] = []
        try:
            yield note
        except (ImageBuildError, ValidationFailed, UsageError):
            self.log.write(f"FAILED at step {index}/{len(self.names)}: {name}")
            raise
        except McpgenError as exc:
            self.log.write(f"FAILED at step {index}/{len(self.names)}: {name}: {exc.message}")
            raise ImageBuildError(
                f"{name} failed: {exc.message}", step=name, hint=getattr(exc, "hint", None)
            ) from exc
        elapsed = time.monotonic() - started
        text = ", ".join(note)
        self.progress.finish(name, elapsed, text)
        self.log.write(f"done in {elapsed:.1f}s{' (' + text + ')' if text else ''}: {name}")
        self.done.append({"name": name, "seconds": round(elapsed, 2), "note": text})

    def output(self, text: str) -> None:
        self.progress.line(text)
        self.log.write(f"  {text}")


def git_info(root: Path) -> tuple[str, str]:
    """(revision, remote URL) of the repository holding ``root``, or ``unknown``."""

    def git(*args: str) -> str:
        try:
            proc = subprocess.run(
                ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=5, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return proc.stdout.strip() if proc.returncode == 0 else ""

    return git("rev-parse", "HEAD") or "unknown", git("config", "--get", "remote.origin.url") or "unknown"


def choose_python(base_image: str, settings: BuildSettings, engine: ImageBuilder | None) -> PythonTarget:
    if settings.python_version:
        return PythonTarget(settings.python_version, source="config")
    if engine is not None and engine.inspect_image(base_image) is not None:
        return engine.probe_python(base_image)
    from_tag = python_from_tag(base_image)
    if from_tag:
        return PythonTarget(from_tag, glibc="2.36", source="tag")
    return PythonTarget(DEFAULT_PYTHON, source="default")


@dataclass(frozen=True)
class Planned:
    project: Project
    manifest: Manifest
    plan: BuildPlan
    sources: list[str]
    config: dict[str, str]


def _plan(
    project: Project, manifest: Manifest, options: BuildOptions, python: PythonTarget, now: datetime
) -> Planned:
    sources = source_files(project.root)
    config = config_files(project.root)
    revision, url = git_info(project.root)
    plan = make_plan(
        manifest,
        sources=sources,
        config_texts=config,
        options=options,
        python=python,
        mcpgen_requirements=runtime_requirements(),
        now=now,
        revision=revision,
        source_url=url,
        description=project.file.description,
        mcp_name=registry_name(project.file).name,
        has_project_file=project.has_project_file,
    )
    return Planned(project, manifest, plan, sources, config)


def dry_run(root: Path, options: BuildOptions, *, now: datetime | None = None) -> BuildPlan:
    """The plan, with the Dockerfile; touches neither Docker nor disk."""
    gen = generate(root)
    if not gen.report.ok or gen.manifest is None:
        raise ValidationFailed(f"{len(gen.report.errors)} error(s) in {root}", report=gen.report)
    settings = gen.project.file.build
    merged = merge_options(options, settings)
    python = choose_python(merged.base_image or DEFAULT_BASE_IMAGE, settings, None)
    return _plan(gen.project, gen.manifest, merged, python, now or datetime.now(UTC)).plan


def registry_auth(root: Path, environ: Mapping[str, str]) -> dict[str, str] | None:
    """REGISTRY_USERNAME/REGISTRY_PASSWORD from the secret store; ``None``: the Docker config decides."""
    values: dict[str, str] = {}
    if (root / STATE_DIR / "secrets.enc").is_file():
        store = SecretStore.open(root / STATE_DIR, environ=environ, create=False)
        for name in ("REGISTRY_USERNAME", "REGISTRY_PASSWORD"):
            value = store.get(name)
            if value:
                values[name] = value
    if "REGISTRY_USERNAME" in values and "REGISTRY_PASSWORD" in values:
        return {"username": values["REGISTRY_USERNAME"], "password": values["REGISTRY_PASSWORD"]}
    return None


def check_platforms(platforms: tuple[str, ...], has_buildx: Callable[[], bool]) -> None:
    """More than one ``--platform`` needs buildx; say so (and what to do) before anything runs."""
    if len(platforms) <= 1:
        return
    wanted = ",".join(platforms)
    if not has_buildx():
        raise UsageError(
            f"--platform {wanted} names {len(platforms)} platforms: a multi-platform image needs "
            "docker buildx, which is not installed (`docker buildx version` fails); install the buildx "
            "plugin, or build one platform at a time (--platform linux/amd64)"
        )
    raise UsageError(
        f"--platform {wanted}: mcpgen builds through the Docker engine API, which makes one platform per "
        "build; build each platform separately, or run `docker buildx build --platform "
        f"{wanted} --push .mcpgen/build/context` after `mcpgen build`"
    )


@dataclass(frozen=True)
class Step:
    """One step of ``mcpgen build``: its name (shown, logged, recorded in the checkpoint) and what it does.

    ``run`` returns the note shown after the step (e.g. ``3 tool(s)``). ``restore``, for a step whose
    result survives on disk, takes that result instead of running again on ``--resume`` and returns
    its note, or ``None`` when there is nothing to take (the step then runs).
    """

    name: str
    run: Callable[[BuildState], str]
    restore: Callable[[BuildState], str | None] | None = None


@dataclass
class BuildState:
    """One build's inputs and what its steps have produced so far."""

    project: Project
    options: BuildOptions
    engine: ImageBuilder
    environ: Mapping[str, str]
    now: Callable[[], datetime]
    steps: _StepReporter
    previous: Checkpoint
    checkpoint: Checkpoint
    generated: Generated | None = None
    manifest: Manifest | None = None
    plan: BuildPlan | None = None
    deps: Path | None = None
    self_wheel: Path | None = None
    image_id: str = ""
    cached: bool = False
    rendered: bool = False
    tagged: list[tuple[str, str | None]] = field(default_factory=list)
    """(ref, the image it named before) for each tag this build moved: put back if the build fails."""
    pushed: list[str] = field(default_factory=list)

    @property
    def build_dir(self) -> Path:
        return self.project.state_dir / BUILD_DIR


_T = TypeVar("_T")


def _need(value: _T | None, what: str, step: str) -> _T:
    """A result of an earlier step; a step list in the wrong order fails here, by name."""
    if value is None:
        raise ImageBuildError(f"{step} needs {what}, which no earlier step produced", step=step)
    return value


def _check_engine(b: BuildState) -> str:
    return f"engine {b.engine.ping()}"


def _discover(b: BuildState) -> str:
    gen = generate(b.project.root)
    if not gen.report.ok or gen.manifest is None:
        raise ValidationFailed(
            f"{len(gen.report.errors)} error(s) in {b.project.root}; run `mcpgen validate` for details",
            report=gen.report,
        )
    b.generated, b.manifest = gen, gen.manifest
    return f"{len(gen.manifest.tools)} tool(s)"


def _restore_manifest(b: BuildState) -> str | None:
    """The manifest the last build wrote, if it got that far with the same inputs."""
    if WRITE_MANIFEST not in b.previous.completed or not b.project.manifest_path.is_file():
        return None
    b.manifest = manifest_io.load(b.project.manifest_path)
    return "resumed from checkpoint"


def _write_manifest(b: BuildState) -> str:
    write_manifest(_need(b.generated, "the discovered workspace", WRITE_MANIFEST))
    return ""


def _manifest_written(b: BuildState) -> str:
    return "resumed"


def _planning(b: BuildState) -> str:
    manifest = _need(b.manifest, "the manifest", "Planning")
    python = choose_python(b.options.base_image or DEFAULT_BASE_IMAGE, b.project.file.build, b.engine)
    b.plan = _plan(b.project, manifest, b.options, python, b.now()).plan
    for warning in b.plan.warnings:
        b.steps.output(f"warning: {warning}")
    return f"base {b.plan.base_image}, Python {python.version} ({python.source})"


def _wheelhouse(b: BuildState) -> str:
    plan = _need(b.plan, "the plan", "Preparing wheelhouse")
    b.self_wheel = build_self_wheel(b.build_dir / "wheels")
    if not plan.offline:
        return "online build: only the mcpgen wheel"
    b.deps = download_wheels(
        plan.requirements, plan.python, cache=cache_dir(b.environ), on_line=b.steps.output
    )
    return f"{len(list(b.deps.glob('*.whl')))} wheels"


def _render(b: BuildState) -> str:
    plan = _need(b.plan, "the plan", "Rendering build context")
    b.rendered = True
    context_dir = b.build_dir / "context"
    self_wheel = _need(b.self_wheel, "the mcpgen wheel", "Rendering build context")
    render_context(plan, b.project.root, context_dir, deps_wheels=b.deps, self_wheel=self_wheel)
    digest = context_hash(context_dir)
    b.checkpoint.context = digest
    if b.previous.context == digest:
        b.checkpoint.image = b.previous.image  # the same context: the image built from it still counts
    return f"context {digest[:12]}"


def _build_image(b: BuildState) -> str:
    _need(b.checkpoint.context or None, "a rendered build context", "Building image")
    previous = b.checkpoint.image
    existing = b.engine.inspect_image(previous) if previous else None
    if existing is not None and not b.options.no_cache:
        b.image_id, b.cached = existing.id, True
        return "up to date"
    with tar_context(b.build_dir / "context") as stream:
        platform = b.options.platforms[0] if b.options.platforms else None
        b.image_id = b.engine.build(
            stream, no_cache=b.options.no_cache, platform=platform, on_line=b.steps.output
        )
    b.checkpoint.image = b.image_id
    return ""


def _tag(b: BuildState) -> str:
    plan = _need(b.plan, "the plan", "Tagging")
    image_id = _need(b.image_id or None, "an image", "Tagging")
    for ref in plan.tags:
        before = b.engine.inspect_image(ref)
        b.tagged.append((ref, before.id if before else None))
        b.engine.tag(image_id, ref)
    b.checkpoint.tags = plan.tags
    b.tagged = []  # every tag is in place: a later failure (a push) keeps the good image's tags
    return ", ".join(plan.tags)


def _push(b: BuildState) -> str:
    plan = _need(b.plan, "the plan", "Pushing")
    auth = registry_auth(b.project.root, b.environ)
    for ref in plan.tags:
        b.engine.push(ref, auth=auth, on_line=b.steps.output)
        b.pushed.append(ref)
    return f"{len(b.pushed)} tag(s)"


STEPS: tuple[Step, ...] = (
    Step("Checking the Docker engine", _check_engine),
    Step("Discovering and validating", _discover, restore=_restore_manifest),
    Step(WRITE_MANIFEST, _write_manifest, restore=_manifest_written),
    Step("Planning", _planning),
    Step("Preparing wheelhouse", _wheelhouse),
    Step("Rendering build context", _render),
    Step("Building image", _build_image),
    Step("Tagging", _tag),
)
"""What ``mcpgen build`` does, in order."""
PUSH = Step("Pushing", _push)
"""The last step with ``--push``."""


def build_steps(options: BuildOptions) -> list[Step]:
    return [*STEPS, PUSH] if options.push else list(STEPS)


def resume_point(steps: Sequence[Step], previous: Checkpoint) -> int:
    """Index of the first step the checkpoint does not record as finished: steps before it may be restored."""
    finished = set(previous.completed)
    return next((i for i, step in enumerate(steps) if step.name not in finished), len(steps))


def unknown_steps(previous: Checkpoint) -> list[str]:
    """Step names in a checkpoint that no build step has (a checkpoint of another mcpgen version)."""
    known = {step.name for step in (*STEPS, PUSH)}
    return [name for name in previous.completed if name not in known]


def build(
    root: Path,
    options: BuildOptions,
    *,
    engine: ImageBuilder | None = None,
    progress: Progress | None = None,
    resume: bool = False,
    environ: Mapping[str, str] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> BuildResult:
    environ = os.environ if environ is None else environ
    progress = progress or NullProgress()
    engine = engine or DockerEngine()
    project = load_project(root)
    options = merge_options(options, project.file.build)
    check_platforms(options.platforms, engine.has_buildx)
    steps = build_steps(options)
    state = project.state_dir
    log = BuildLog(state / LOG_FILE)
    runner = _StepReporter([step.name for step in steps], progress, log)
    checkpoint_path = state / BUILD_DIR / "checkpoint.json"
    previous = load_checkpoint(checkpoint_path)
    watched = [*source_files(project.root), *config_files(project.root), PROJECT_FILE]
    inputs = inputs_hash(project.root, watched, options)
    b = BuildState(project, options, engine, environ, now, runner, previous, Checkpoint(inputs=inputs))
    started = time.monotonic()
    log.write(f"mcpgen build {project.root} options={options!r} resume={resume}")
    if unknown := unknown_steps(previous):
        runner.output(
            f"warning: ignoring {checkpoint_path}: it records step(s) this build does not have "
            f"({', '.join(repr(n) for n in unknown)}), so every step runs"
        )
        b.previous = previous = Checkpoint()
    restorable = resume_point(steps, previous) if resume and previous.inputs == inputs else 0
    try:
        for index, step in enumerate(steps):
            with runner.step(step.name) as note:
                restored = step.restore(b) if index < restorable and step.restore is not None else None
                if restored is None and step.restore is not None:
                    restorable = min(restorable, index)  # ran again: what follows cannot be taken as is
                note.append(step.run(b) if restored is None else restored)
            b.checkpoint.completed.append(step.name)
            save_checkpoint(checkpoint_path, b.checkpoint)
        plan = _need(b.plan, "the plan", "the summary")
        info = engine.inspect_image(b.image_id)
        result = BuildResult(
            image_id=b.image_id,
            tags=plan.tags,
            size=info.size if info else 0,
            tools=plan.tools,
            connectors=plan.connectors,
            duration=time.monotonic() - started,
            cached=b.cached,
            pushed=b.pushed,
            steps=runner.done,
            log=str(log.path),
        )
        log.write(f"built {b.image_id} tags={plan.tags} in {result.duration:.1f}s")
        return result
    except (McpgenError, KeyboardInterrupt) as exc:
        if isinstance(exc, KeyboardInterrupt):
            log.write("interrupted (Ctrl+C): nothing tagged")
        elif isinstance(exc, DockerError | ImageBuildError):
            log.write(f"error: {exc.message}")
        _untag(engine, b.tagged, log)
        if b.rendered:
            shutil.rmtree(b.build_dir / "context", ignore_errors=True)
            shutil.rmtree(b.build_dir / "wheels", ignore_errors=True)
            log.write(f"removed the build context {b.build_dir / 'context'}")
        raise
    finally:
        log.close()


def _untag(engine: ImageBuilder, moved: list[tuple[str, str | None]], log: BuildLog) -> None:
    """A build that failed while tagging takes its tags back (a moved tag returns to its old image)."""
    for ref, before in reversed(moved):
        try:
            if before is None:
                engine.remove_image(ref)
            else:
                engine.tag(before, ref)
            log.write(f"untagged {ref}")
        except McpgenError as exc:
            log.write(f"could not untag {ref}: {exc.message}")


def remove_build_state(root: Path) -> None:
    shutil.rmtree(root / STATE_DIR / BUILD_DIR, ignore_errors=True)
