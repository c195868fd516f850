"""``mcpgen serve`` and ``mcpgen dev``: generate (or load) a manifest, then run the runtime.

``dev`` also watches the workspace: on a change it re-runs discovery in the
worker subprocess, and only when the new workspace validates does it import the
new modules, build a new registry and swap it in. A failed reload keeps the
old tools and logs why (detect, then build new, then swap).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import watchfiles

from mcpgen import manifest as manifest_io
from mcpgen.errors import McpgenError, UsageError, ValidationFailed
from mcpgen.manifest import Manifest
from mcpgen.runtime import (
    Registry,
    RuntimeState,
    Settings,
    create_app,
    runtime_state,
    serve_http,
    serve_stdio,
)
from mcpgen.runtime.settings import LogLevelName
from mcpgen.workflows.generate import Generated, generate, write_manifest
from mcpgen.workflows.project import load_project

logger = logging.getLogger("mcpgen.dev")


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    transport: str = "http"
    stateful: bool = False
    json_response: bool = False
    log_level: LogLevelName = "info"


def _settings(root: Path, options: ServeOptions) -> Settings:
    return Settings(
        root=root,
        host=options.host,
        port=options.port,
        stateless=not options.stateful,
        json_response=options.json_response,
        log_level=options.log_level,
    )


def prepare(workspace: Path | None, manifest_file: Path | None) -> tuple[Manifest, Path]:
    """The manifest to serve and the root its entrypoints are relative to.

    With ``--manifest`` alone the root is the manifest's folder (its parent when
    the manifest sits in ``.mcpgen/``); with a workspace too, the workspace.
    """
    if manifest_file is not None:
        manifest = manifest_io.load(manifest_file)
        if workspace is not None:
            if not workspace.is_dir():
                raise UsageError(f"workspace {workspace} is not a directory")
            return manifest, workspace.resolve()
        root = manifest_file.resolve().parent
        if root.name == ".mcpgen":
            root = root.parent
        return manifest, root
    gen = generate(workspace or Path("."))
    _require_ok(gen)
    assert gen.manifest is not None
    write_manifest(gen)
    return gen.manifest, gen.project.root


def _require_ok(gen: Generated) -> None:
    if not gen.report.ok:
        raise ValidationFailed(
            f"{len(gen.report.errors)} error(s) in {gen.project.root}; run `mcpgen validate` for details",
            report=gen.report,
        )


def serve(workspace: Path | None, manifest_file: Path | None, options: ServeOptions) -> None:
    if options.transport not in ("http", "stdio"):
        raise UsageError(f"--transport must be http or stdio, not {options.transport!r}")
    manifest, root = prepare(workspace, manifest_file)
    settings = _settings(root, options)
    if options.transport == "stdio":
        serve_stdio(manifest, settings)
    else:
        serve_http(manifest, settings)


class Reloader:
    """Rebuild the registry after a change; keep the old one when anything fails."""

    def __init__(self, root: Path, settings: Settings, app_state: RuntimeState) -> None:
        self.root = root
        self.settings = settings
        self.app_state = app_state
        self.generation = 0

    def reload(self) -> bool:
        """Returns True when the new tools were swapped in."""
        try:
            gen = generate(self.root)
        except McpgenError as exc:
            logger.error("reload failed, keeping the previous tools: %s", exc.message)
            return False
        if not gen.report.ok or gen.manifest is None:
            for diag in gen.report.errors:
                logger.error("reload failed, keeping the previous tools: %s", diag)
            return False
        self.generation += 1
        settings = replace(self.settings, module_namespace=f"mcpgen_workspace_r{self.generation}")
        try:
            registry = Registry.load(gen.manifest, settings, purge=True)
        except McpgenError as exc:
            logger.error("reload failed, keeping the previous tools: %s", exc.message)
            return False
        write_manifest(gen)
        self.app_state.swap(registry)
        names = ", ".join(t.name for t in gen.manifest.tools) or "none"
        logger.warning("reloaded %d tool(s): %s", len(gen.manifest.tools), names)
        return True


def _watch(reloader: Reloader, paths: list[Path], stop: threading.Event) -> None:
    for changes in watchfiles.watch(*paths, stop_event=stop, debounce=300, step=100, raise_interrupt=False):
        relevant = [p for _, p in changes if "__pycache__" not in p and not Path(p).name.startswith(".")]
        if relevant:
            logger.warning("change detected: %s", ", ".join(sorted({Path(p).name for p in relevant})))
            reloader.reload()


def dev(workspace: Path, options: ServeOptions) -> None:
    """Serve from source and reload on change until interrupted."""
    manifest, root = prepare(workspace, None)
    settings = _settings(root, options)
    app = create_app(manifest, settings)
    reloader = Reloader(root, settings, runtime_state(app))
    stop = threading.Event()
    paths = load_project(root).watch_paths() or [root]
    watcher = threading.Thread(target=_watch, args=(reloader, paths, stop), name="mcpgen-watch", daemon=True)
    watcher.start()
    logger.warning(
        "dev: %d tool(s) on http://%s:%d/mcp, watching %s",
        len(manifest.tools),
        options.host,
        options.port,
        ", ".join(str(p) for p in paths),
    )
    try:
        serve_http(manifest, settings, app=app)
    finally:
        stop.set()
        watcher.join(timeout=5)
