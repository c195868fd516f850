"""``mcpgen build``, ``mcpgen run`` and ``mcpgen images``: Docker images of the generated server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TaskID, TextColumn
from rich.text import Text

from mcpgen.cli import render
from mcpgen.cli._common import JsonFlag, Workspace, state
from mcpgen.errors import DockerError


class ConsoleProgress:
    """Plain step lines with elapsed times, build output streamed under them (not a TTY; ``--quiet``: nothing)."""

    def __init__(self, *, quiet: bool, stream_output: bool = True, console: Console | None = None) -> None:
        self.quiet = quiet
        self.stream_output = stream_output
        self.console = console or render.err

    def start(self, index: int, total: int, name: str) -> None:
        if not self.quiet:
            self.console.print(f"[bold]Step {index}/{total}:[/bold] {escape(name)}", markup=True)

    def finish(self, name: str, elapsed: float, note: str = "") -> None:
        if not self.quiet:
            extra = f" ({escape(note)})" if note else ""
            self.console.print(f"  [green]✓[/green] {escape(name)} in {elapsed:.1f}s{extra}", markup=True)

    def line(self, text: str) -> None:
        if not self.quiet and self.stream_output:
            self.console.print(f"  [dim]{escape(text)}[/dim]", markup=True, highlight=False)

    def close(self) -> None:
        pass


class _Elapsed(ProgressColumn):
    """Seconds spent in a step, to a tenth (frozen once the step is done)."""

    def render(self, task: Task) -> Text:
        seconds = task.finished_time if task.finished_time is not None else task.elapsed
        return Text(f"{seconds or 0.0:.1f}s", style="dim")


class LiveProgress:
    """On a terminal: a spinner and a running clock per step (rich); finished steps stay as ✓ lines."""

    def __init__(self, console: Console, *, stream_output: bool = True) -> None:
        self.stream_output = stream_output
        self.progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/green]"),
            TextColumn("{task.description}"),
            _Elapsed(),
            console=console,
        )
        self.task: TaskID | None = None

    def start(self, index: int, total: int, name: str) -> None:
        if self.task is None:
            self.progress.start()
        self.task = self.progress.add_task(f"Step {index}/{total}: {escape(name)}", total=1)

    def finish(self, name: str, elapsed: float, note: str = "") -> None:
        if self.task is not None:
            extra = f" [dim]({escape(note)})[/dim]" if note else ""
            description = self.progress.tasks[-1].description + extra
            self.progress.update(self.task, description=description, completed=1)
            self.progress.stop_task(self.task)

    def line(self, text: str) -> None:
        if self.stream_output:
            self.progress.console.print(f"  [dim]{escape(text)}[/dim]", markup=True, highlight=False)

    def close(self) -> None:
        self.progress.stop()


def make_progress(*, quiet: bool, stream_output: bool = True) -> ConsoleProgress | LiveProgress:
    """Rich live progress on a terminal, plain lines otherwise, nothing with ``--quiet``/``--json``."""
    if not quiet and render.err.is_terminal:
        return LiveProgress(render.err, stream_output=stream_output)
    return ConsoleProgress(quiet=quiet, stream_output=stream_output)


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"


Output = Annotated[
    str | None, typer.Option("--output", "-o", help="Image repository name [default: project name].")
]
Tags = Annotated[
    list[str] | None, typer.Option("--tag", "-t", help="Extra tag (or full reference); repeatable.")
]
BaseImage = Annotated[
    str | None, typer.Option("--base-image", help="Base image [default: build.base_image, python:3.12-slim].")
]
Offline = Annotated[
    bool, typer.Option("--offline", help="Fetch every wheel on the host; pip in the image uses no index.")
]
NoCache = Annotated[bool, typer.Option("--no-cache", help="Do not reuse cached layers.")]
Platform = Annotated[
    str | None,
    typer.Option("--platform", help="Target platform(s), comma-separated (more than one needs buildx)."),
]
Registry = Annotated[
    str | None, typer.Option("--registry", help="Registry prefix, e.g. localhost:5000/team.")
]


def _options(
    output: str | None,
    tag: list[str] | None,
    base_image: str | None,
    offline: bool,
    no_cache: bool,
    platform: str | None,
    push: bool,
    registry: str | None,
) -> Any:
    from mcpgen.build.plan import BuildOptions

    platforms = tuple(p.strip() for p in (platform or "").split(",") if p.strip())
    return BuildOptions(
        output=output,
        tags=tuple(tag or ()),
        base_image=base_image,
        offline=offline,
        no_cache=no_cache,
        platforms=platforms,
        push=push,
        registry=registry,
    )


def _show_plan(plan: Any, json_out: bool) -> None:
    """``--dry-run``: the plan and its Dockerfile (a :class:`~mcpgen.build.plan.BuildPlan`)."""
    if json_out:
        render.print_json({**plan.to_data(), "dockerfile": plan.dockerfile, "dryRun": True})
        return
    render.out.print("[bold]Plan[/bold] (dry run: nothing built, nothing written)", markup=True)
    render.out.print(
        f"  base image:   {plan.base_image} (Python {plan.python.version}, {plan.python.source})"
    )
    render.out.print(f"  offline:      {plan.offline}    node: {plan.needs_node}")
    render.out.print(f"  tags:         {', '.join(plan.tags)}")
    render.out.print(f"  push:         {plan.push}")
    render.out.print(f"  tools:        {', '.join(plan.tools) or '-'}")
    render.out.print(f"  connectors:   {', '.join(plan.connectors) or '-'}")
    render.out.print(f"  requirements: {len(plan.requirements)}")
    render.out.print("  files:        " + ", ".join(sorted(plan.files)))
    for warning in plan.warnings:
        render.out.print(f"  [yellow]warning:[/yellow] {escape(warning)}", markup=True)
    if plan.push:
        registries = sorted({p["registry"] for p in plan.pushes()})
        render.out.print(
            f"\n[bold]Would push[/bold] to {escape(', '.join(registries))} (dry run: nothing pushed)",
            markup=True,
        )
        for target in plan.pushes():
            render.out.print(f"  {target['ref']}")
    render.out.print("\n[bold]Dockerfile[/bold]", markup=True)
    render.out.print(plan.dockerfile, markup=False, highlight=False)


def build_cmd(
    workspace: Workspace = Path("."),
    output: Output = None,
    tag: Tags = None,
    base_image: BaseImage = None,
    offline: Offline = False,
    no_cache: NoCache = False,
    platform: Platform = None,
    push: Annotated[bool, typer.Option("--push", help="Push every tag after building.")] = False,
    registry: Registry = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the plan and the Dockerfile; touch neither Docker nor disk."),
    ] = False,
    json_out: JsonFlag = False,
    resume: Annotated[bool, typer.Option("--resume", help="Skip the steps the last build finished.")] = False,
) -> None:
    """Build a Docker image of the server: discover, validate, generate, render the context, build, tag."""
    from mcpgen.workflows.build import build
    from mcpgen.workflows.build import dry_run as plan_only

    options = _options(output, tag, base_image, offline, no_cache, platform, push, registry)
    if dry_run:
        _show_plan(plan_only(workspace, options, now=datetime.now(UTC)), json_out)
        return
    progress = make_progress(quiet=state.quiet or json_out)
    try:
        result = build(workspace, options, progress=progress, resume=resume)
    finally:
        progress.close()
    if json_out:
        render.print_json(result.to_data())
        return
    if not state.quiet:
        render.out.print(
            f"[green]✓ built[/green] {result.image_id[:19]} ({_size(result.size)}) in {result.duration:.1f}s"
            f"{' (up to date)' if result.cached else ''}",
            markup=True,
        )
        render.out.print(f"  tags:       {', '.join(result.tags)}")
        render.out.print(f"  tools:      {', '.join(result.tools) or '-'}")
        render.out.print(f"  connectors: {', '.join(result.connectors) or '-'}")
        if result.pushed:
            render.out.print(f"  pushed:     {', '.join(result.pushed)}")
        render.out.print(f"  log:        {result.log}")


def run_cmd(
    workspace: Workspace = Path("."),
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Host port.")] = 8080,
    host: Annotated[str, typer.Option("--host", help="Host address to bind.")] = "127.0.0.1",
    network: Annotated[
        str | None, typer.Option("--network", help="`host`: share the host's network (no port mapping).")
    ] = None,
    detach: Annotated[
        bool, typer.Option("--detach", "-d", help="Print the container id and return.")
    ] = False,
    name: Annotated[str | None, typer.Option("--name", help="Container name.")] = None,
    env_file: Annotated[Path | None, typer.Option("--env-file", help="Extra NAME=value variables.")] = None,
    rm: Annotated[bool, typer.Option("--rm", help="Remove the container when it stops.")] = False,
    dev: Annotated[
        bool, typer.Option("--dev", help="Mount tools/, connectors/, config/ and reload on change.")
    ] = False,
    base_image: BaseImage = None,
    offline: Offline = False,
    ready_timeout: Annotated[
        float, typer.Option("--ready-timeout", help="Seconds to wait for /health/ready.")
    ] = 30.0,
    secrets_as_files: Annotated[
        bool,
        typer.Option(
            "--secrets-as-files",
            help="Pass credentials as files in a read-only tmpfs folder (/run/secrets), not as environment "
            "variables (which `docker inspect` shows).",
        ),
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Build (cache-aware) and start the server's container; wait until /health/ready answers.

    Every declared credential and stored secret is passed: from the host environment when set there,
    else from the secret store. Only their names are printed.
    """
    from mcpgen.build.docker_engine import DockerEngine
    from mcpgen.workflows.run import RunOptions, start, stop, wait_stopped

    engine = DockerEngine()
    options = RunOptions(
        port=port,
        host=host,
        network=network,
        detach=detach,
        name=name,
        env_file=env_file,
        remove=rm,
        dev=dev,
        ready_timeout=ready_timeout,
        secrets_as_files=secrets_as_files,
        build=_options(None, None, base_image, offline, False, None, False, None),
    )
    quiet = state.quiet or json_out

    def show(line: str) -> None:
        if not quiet:
            render.err.print(line, markup=False, highlight=False)

    progress = make_progress(quiet=quiet, stream_output=False)
    try:
        started = start(
            workspace,
            options,
            engine=engine,
            progress=progress,
            on_log=None if detach else show,
            before_start=progress.close,
        )
    finally:
        progress.close()
    short = started.container_id[:12]
    if json_out:
        render.print_json(
            {
                "containerId": started.container_id,
                "image": started.image,
                "url": started.url,
                "mcp": f"{started.url}/mcp",
                "environment": started.env_names,
                "credentials": started.credentials,
                "secretsAsFiles": started.secrets_as_files,
                "build": started.build.to_data(),
            }
        )
    elif not state.quiet:
        render.out.print(f"[green]✓ ready[/green] {escape(started.url)}/mcp (container {short})", markup=True)
        if started.credentials:
            how = "files in /run/secrets" if started.secrets_as_files else "environment variables"
            passed = ", ".join(f"{name} ({source})" for name, source in started.credentials.items())
            render.out.print(f"  credentials as {how}: {passed}", markup=False, highlight=False)
    if detach:
        if not json_out and not state.quiet:
            render.out.print(f"  logs: docker logs -f {short}\n  stop: docker stop {short}")
        return
    try:
        status = wait_stopped(engine, started.container_id)
    except KeyboardInterrupt:
        render.err.print(
            f"stopping container {short}{' and removing it' if rm else ''} (Ctrl+C)…", highlight=False
        )
        stop(engine, started.container_id, remove=rm)
        raise
    stop(engine, started.container_id, remove=rm)
    render.err.print(
        f"[red]✗ container {short} stopped on its own ({escape(str(status))})[/red]", markup=True
    )
    raise typer.Exit(1)


def images_cmd(
    workspace: Workspace = Path("."),
    prune: Annotated[
        int | None,
        typer.Option("--prune", min=0, help="Remove all but the newest KEEP images of this project."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """List this project's images (newest first); --prune KEEP removes the older ones."""
    from mcpgen.build.docker_engine import DockerEngine, ImageInfo
    from mcpgen.build.registry import newest_first, project_filter, select_prune
    from mcpgen.workflows.project import load_project

    project = load_project(workspace)
    engine = DockerEngine()
    images = newest_first(engine.list_images(project_filter(project.file.name)))
    removed = []
    kept: list[tuple[ImageInfo, str]] = []
    if prune is not None:
        for image in select_prune(images, prune):
            try:
                engine.remove_image(image.id, force=True)
            except DockerError as exc:  # e.g. used by a running container: keep it, say why
                kept.append((image, exc.message.rsplit(": ", 1)[-1]))
                continue
            removed.append(image)
        images = [i for i in images if i not in removed]
    if json_out:
        render.print_json(
            {
                "project": project.file.name,
                "images": [
                    {"id": i.id, "tags": i.tags, "size": i.size, "created": i.created} for i in images
                ],
                "removed": [{"id": i.id, "tags": i.tags} for i in removed],
                "kept": [{"id": i.id, "tags": i.tags, "reason": why} for i, why in kept],
            }
        )
        return
    for image in removed:
        render.out.print(
            f"[yellow]removed[/yellow] {image.id[7:19]} {escape(', '.join(image.tags) or '<untagged>')}",
            markup=True,
        )
    for image in images:
        render.out.print(
            f"{image.id[7:19]}  {image.created[:19]}  {_size(image.size):>9}  {', '.join(image.tags)}"
        )
    if not images and not state.quiet:
        render.err.print(f"no images of {project.file.name} (build one with `mcpgen build`)")
