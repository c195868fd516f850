"""``mcpgen build``: discover → validate → generate → plan → wheelhouse → context → image → tags (→ push).

Each step reports its name and elapsed time to a :class:`Progress` and to
``.mcpgen/build.log`` (timestamped, with the full Docker output). A failure
names its step, keeps the engine's output and a hint, tags nothing and
removes the half-written context. Checkpoints (:mod:`mcpgen.build.checkpoint`)
let ``--resume`` skip finished steps; an unchanged workspace whose image still
exists is not rebuilt at all.

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
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from mcpgen import manifest as manifest_io
from mcpgen.build.checkpoint import Checkpoint, inputs_hash, load_checkpoint, save_checkpoint
from mcpgen.build.context import config_files, context_hash, render_context, source_files, tar_context
from mcpgen.build.docker_engine import DockerEngine, ImageBuilder
from mcpgen.build.plan import BuildOptions, BuildPlan, PythonTarget, make_plan, python_from_tag
from mcpgen.build.wheelhouse import build_self_wheel, cache_dir, download_wheels, runtime_requirements
from mcpgen.errors import (
    DockerError,
    ImageBuildError,
    McpgenError,
    UsageError,
    ValidationFailed,
    WorkspaceError,
)
from mcpgen.manifest import Manifest
from mcpgen.secrets import SecretStore
from mcpgen.workflows.generate import generate, write_manifest
from mcpgen.workflows.project import PROJECT_FILE, STATE_DIR, Project, load_project

DEFAULT_PYTHON = "3.12"
BUILD_DIR = "build"
LOG_FILE = "build.log"


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


@dataclass(frozen=True)
class BuildSettings:
    """``mcpgen.yaml``'s ``build:`` section (every key optional)."""

    base_image: str | None = None
    registry: str | None = None
    offline: bool = False
    python_version: str | None = None
    tags: tuple[str, ...] = ()


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


def load_build_settings(root: Path) -> BuildSettings:
    file = root / PROJECT_FILE
    if not file.is_file():
        return BuildSettings()
    try:
        data = YAML(typ="safe", pure=True).load(file.read_text(encoding="utf-8")) or {}
    except (YAMLError, OSError) as exc:
        raise WorkspaceError(f"{file}: cannot read: {exc}", path=file) from exc
    section = data.get("build") if isinstance(data, dict) else None
    if section is None:
        return BuildSettings()
    if not isinstance(section, dict):
        raise WorkspaceError(f"{file}: build must be a mapping", path=file)
    known = {"base_image", "registry", "offline", "python_version", "tags"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise WorkspaceError(
            f"{file}: unknown build key(s) {', '.join(unknown)}; expected {', '.join(sorted(known))}",
            path=file,
        )
    tags = section.get("tags") or []
    return BuildSettings(
        base_image=section.get("base_image"),
        registry=section.get("registry"),
        offline=bool(section.get("offline", False)),
        python_version=str(section["python_version"]) if section.get("python_version") else None,
        tags=tuple(str(t) for t in tags),
    )


def merge_options(options: BuildOptions, settings: BuildSettings) -> BuildOptions:
    """Command line over ``mcpgen.yaml``."""
    return replace(
        options,
        base_image=options.base_image or settings.base_image,
        registry=options.registry or settings.registry,
        offline=options.offline or settings.offline,
        tags=(*settings.tags, *options.tags),
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


class _Steps:
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
        description=project.description,
        has_project_file=(project.root / PROJECT_FILE).is_file(),
    )
    return Planned(project, manifest, plan, sources, config)


def dry_run(root: Path, options: BuildOptions, *, now: datetime | None = None) -> BuildPlan:
    """The plan, with the Dockerfile; touches neither Docker nor disk."""
    gen = generate(root)
    if not gen.report.ok or gen.manifest is None:
        raise ValidationFailed(f"{len(gen.report.errors)} error(s) in {root}", report=gen.report)
    settings = load_build_settings(gen.project.root)
    merged = merge_options(options, settings)
    python = choose_python(merged.base_image or "python:3.12-slim", settings, None)
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
    settings = load_build_settings(project.root)
    options = merge_options(options, settings)
    check_platforms(options.platforms, engine.has_buildx)
    names = [
        "Checking the Docker engine",
        "Discovering and validating",
        "Writing manifest",
        "Planning",
        "Preparing wheelhouse",
        "Rendering build context",
        "Building image",
        "Tagging",
    ]
    if options.push:
        names.append("Pushing")
    state = project.state_dir
    log = BuildLog(state / LOG_FILE)
    steps = _Steps(names, progress, log)
    checkpoint_path = state / BUILD_DIR / "checkpoint.json"
    previous = load_checkpoint(checkpoint_path)
    context_dir = state / BUILD_DIR / "context"
    started = time.monotonic()
    rendered = False
    tagged: list[tuple[str, str | None]] = []
    """(ref, the image it named before) for each tag this build moved: put back if the build fails."""
    log.write(f"mcpgen build {project.root} options={options!r} resume={resume}")
    try:
        with steps.step("Checking the Docker engine") as note:
            note.append(f"engine {engine.ping()}")
        watched = [*source_files(project.root), *config_files(project.root), PROJECT_FILE]
        inputs = inputs_hash(project.root, watched, options)
        resumable = resume and previous.inputs == inputs and project.manifest_path.is_file()
        with steps.step("Discovering and validating") as note:
            if resumable:
                manifest = manifest_io.load(project.manifest_path)
                note.append("resumed from checkpoint")
            else:
                gen = generate(project.root)
                if not gen.report.ok or gen.manifest is None:
                    raise ValidationFailed(
                        f"{len(gen.report.errors)} error(s) in {project.root}; run `mcpgen validate` for details",
                        report=gen.report,
                    )
                manifest = gen.manifest
                note.append(f"{len(manifest.tools)} tool(s)")
        with steps.step("Writing manifest") as note:
            if resumable:
                note.append("resumed")
            else:
                write_manifest(gen)
        with steps.step("Planning") as note:
            python = choose_python(options.base_image or "python:3.12-slim", settings, engine)
            planned = _plan(project, manifest, options, python, now())
            plan = planned.plan
            note.append(f"base {plan.base_image}, Python {python.version} ({python.source})")
            for warning in plan.warnings:
                steps.output(f"warning: {warning}")
        with steps.step("Preparing wheelhouse") as note:
            wheels_dir = state / BUILD_DIR / "wheels"
            self_wheel = build_self_wheel(wheels_dir)
            deps = None
            if plan.offline:
                deps = download_wheels(
                    plan.requirements, plan.python, cache=cache_dir(environ), on_line=steps.output
                )
                note.append(f"{len(list(deps.glob('*.whl')))} wheels")
            else:
                note.append("online build: only the mcpgen wheel")
        with steps.step("Rendering build context") as note:
            rendered = True
            render_context(plan, project.root, context_dir, deps_wheels=deps, self_wheel=self_wheel)
            digest = context_hash(context_dir)
            note.append(f"context {digest[:12]}")
        checkpoint = Checkpoint(inputs=inputs, context=digest, completed=names[:6])
        cached = False
        with steps.step("Building image") as note:
            existing = engine.inspect_image(previous.image) if previous.image else None
            if previous.context == digest and existing is not None and not options.no_cache:
                image_id = existing.id
                cached = True
                note.append("up to date")
            else:
                with tar_context(context_dir) as stream:
                    platform = options.platforms[0] if options.platforms else None
                    image_id = engine.build(
                        stream, no_cache=options.no_cache, platform=platform, on_line=steps.output
                    )
            checkpoint.image = image_id
        with steps.step("Tagging") as note:
            for ref in plan.tags:
                before = engine.inspect_image(ref)
                tagged.append((ref, before.id if before else None))
                engine.tag(image_id, ref)
            note.append(", ".join(plan.tags))
        checkpoint.tags = plan.tags
        checkpoint.completed = names[:8]
        save_checkpoint(checkpoint_path, checkpoint)
        tagged = []  # a failed push keeps the (good) image's tags
        pushed: list[str] = []
        if options.push:
            with steps.step("Pushing") as note:
                auth = registry_auth(project.root, environ)
                for ref in plan.tags:
                    engine.push(ref, auth=auth, on_line=steps.output)
                    pushed.append(ref)
                note.append(f"{len(pushed)} tag(s)")
        info = engine.inspect_image(image_id)
        result = BuildResult(
            image_id=image_id,
            tags=plan.tags,
            size=info.size if info else 0,
            tools=plan.tools,
            connectors=plan.connectors,
            duration=time.monotonic() - started,
            cached=cached,
            pushed=pushed,
            steps=steps.done,
            log=str(log.path),
        )
        log.write(f"built {image_id} tags={plan.tags} in {result.duration:.1f}s")
        return result
    except (McpgenError, KeyboardInterrupt) as exc:
        if isinstance(exc, KeyboardInterrupt):
            log.write("interrupted (Ctrl+C): nothing tagged")
        elif isinstance(exc, DockerError | ImageBuildError):
            log.write(f"error: {exc.message}")
        _untag(engine, tagged, log)
        if rendered:
            shutil.rmtree(context_dir, ignore_errors=True)
            shutil.rmtree(state / BUILD_DIR / "wheels", ignore_errors=True)
            log.write(f"removed the build context {context_dir}")
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
