"""``mcpgen serve`` and ``mcpgen dev``: generate (or load) a manifest, then run the runtime.

``dev`` (and ``serve --reload``) also watches the workspace: on a change it
re-runs discovery in the worker subprocess, and only when the new workspace
validates does it import the new modules, build a new registry and swap it in.
A failed reload keeps the old tools and says why in the log, ``/admin/stats``
and the ``mcpgen_reloads_total`` metric (detect, then build new, then swap:
:class:`mcpgen.runtime.admin.reload.Reloads`). ``SIGHUP`` and
``POST /admin/reload`` rebuild from the workspace the same way.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import MutableMapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mcpgen import manifest as manifest_io
from mcpgen.config import Config, load_config
from mcpgen.errors import ConfigError, UsageError, ValidationFailed
from mcpgen.manifest import Manifest
from mcpgen.runtime import Registry, Settings, create_app, serve_http, serve_stdio
from mcpgen.runtime.admin.reload import Rebuild, Reloads
from mcpgen.runtime.credentials import check_credentials, load_secret_files
from mcpgen.runtime.settings import LogLevelName, apply_tool_overrides, settings_from_config
from mcpgen.workflows.configure import inject_stored_secrets
from mcpgen.workflows.generate import Generated, generate, write_manifest
from mcpgen.workflows.partial import public, without_broken_connectors
from mcpgen.workflows.project import STATE_DIR, load_project
from mcpgen.workflows.watch import changes

logger = logging.getLogger("mcpgen.dev")


@dataclass(frozen=True)
class ServeOptions:
    """What the command line says; ``None`` means "as the workspace config says"."""

    host: str | None = None
    port: int | None = None
    transport: str = "http"
    protocol_mode: str | None = None
    json_response: bool | None = None
    log_level: LogLevelName | None = None
    env: str | None = None
    overrides: tuple[str, ...] = ()
    reload: bool = False
    """Watch the workspace and reload on change (``serve --reload``; ``dev`` always does)."""


@dataclass(frozen=True)
class Prepared:
    manifest: Manifest
    settings: Settings
    config: Config
    injected: list[str]
    """Names of stored secrets put into the environment."""


def configure(
    manifest: Manifest, root: Path, options: ServeOptions, environ: MutableMapping[str, str]
) -> Prepared:
    """Secrets into the environment (the environment wins, then ``$MCPGEN_SECRETS_DIR`` files, then the
    secret store), then the layered config, then command-line overrides."""
    load_secret_files(environ)
    injected = inject_stored_secrets(root / STATE_DIR, environ)
    try:
        loaded = load_config(root, env=options.env, environ=environ, overrides=options.overrides)
    except ConfigError:
        # A config that references a missing credential (${NAME}) fails here; saying which
        # credential is missing and which modules need it is the more useful message.
        check_credentials(manifest, environ)
        raise
    for name, value in loaded.config.credentials.items():  # config credentials: ${NAME} or literal values
        if value.get_secret_value() and name not in environ:
            environ[name] = value.get_secret_value()
    base = settings_from_config(loaded.config, root)
    flags = {
        "host": options.host,
        "port": options.port,
        "protocol_mode": options.protocol_mode,
        "json_response": options.json_response,
        "log_level": options.log_level,
    }
    settings = base.with_options(**{k: v for k, v in flags.items() if v is not None})  # type: ignore[arg-type]
    return Prepared(
        manifest=apply_tool_overrides(manifest, loaded.config.tools),
        settings=settings,
        config=loaded.config,
        injected=injected,
    )


@dataclass(frozen=True)
class Source:
    """What to serve: the manifest, the root its entrypoints are relative to, and what was left out."""

    manifest: Manifest
    root: Path
    left_out: tuple[dict[str, Any], ...] = ()
    """Problems of optional connectors served without (:mod:`mcpgen.workflows.partial`)."""

    def registry(self, settings: Settings, *, purge: bool = False) -> Registry:
        registry = Registry.load(self.manifest, settings, purge=purge)
        registry.left_out = self.left_out
        return registry


def _servable(gen: Generated) -> Source:
    """The workspace to serve: all of it, or without the optional connectors that fail to load."""
    partial = without_broken_connectors(gen)
    _require_ok(partial.generated)
    assert partial.generated.manifest is not None
    write_manifest(partial.generated)
    left_out = public(partial.left_out)
    return Source(partial.generated.manifest, gen.project.root, left_out)


def prepare(workspace: Path | None, manifest_file: Path | None) -> Source:
    """The manifest to serve and the root its entrypoints are relative to.

    With ``--manifest`` alone the root is the manifest's folder (its parent when
    the manifest sits in ``.mcpgen/``); with a workspace too, the workspace.
    """
    if manifest_file is not None:
        manifest = manifest_io.load(manifest_file)
        if workspace is not None:
            if not workspace.is_dir():
                raise UsageError(f"workspace {workspace} is not a directory")
            return Source(manifest, workspace.resolve())
        root = manifest_file.resolve().parent
        if root.name == ".mcpgen":
            root = root.parent
        return Source(manifest, root)
    return _servable(generate(workspace or Path(".")))


def _require_ok(gen: Generated) -> None:
    if not gen.report.ok:
        raise ValidationFailed(
            f"{len(gen.report.errors)} error(s) in {gen.project.root}; run `mcpgen validate` for details",
            report=gen.report,
        )


def serve(workspace: Path | None, manifest_file: Path | None, options: ServeOptions) -> None:
    if options.transport not in ("http", "stdio"):
        raise UsageError(f"--transport must be http or stdio, not {options.transport!r}")
    if options.reload and (options.transport != "http" or manifest_file is not None):
        raise UsageError("--reload watches a workspace over HTTP: not with --manifest or --transport stdio")
    if options.reload:
        _watched(workspace or Path("."), options, "serve")
        return
    source = prepare(workspace, manifest_file)
    ready = configure(source.manifest, source.root, options, os.environ)
    served = replace(source, manifest=ready.manifest)
    # With nothing left out the runtime loads the registry itself, after its credential check.
    registry = served.registry(ready.settings) if served.left_out else None
    if options.transport == "stdio":
        serve_stdio(ready.manifest, ready.settings, registry=registry)
    else:
        rebuild = workspace_rebuild(source.root, ready.config) if manifest_file is None else None
        app = (
            create_app(ready.manifest, ready.settings, registry=registry, rebuild=rebuild)
            if registry is not None
            else None
        )
        serve_http(ready.manifest, ready.settings, app=app, rebuild=rebuild)


def workspace_rebuild(root: Path, config: Config) -> Rebuild:
    """A reload from the workspace: discover and validate again, then load (raises to keep the old tools)."""

    def rebuild(settings: Settings) -> Registry:
        partial = without_broken_connectors(generate(root))
        gen = partial.generated
        if not gen.report.ok or gen.manifest is None:
            problems = "; ".join(str(d) for d in gen.report.errors) or "no manifest"
            raise ValidationFailed(f"the workspace does not validate: {problems}", report=gen.report)
        left_out = public(partial.left_out)
        source = Source(apply_tool_overrides(gen.manifest, config.tools), root, left_out)
        registry = source.registry(settings, purge=True)
        write_manifest(gen)
        return registry

    return rebuild


def _relevant(path: str) -> bool:
    """A change that may alter the tools: sources (.py .ts .mts .js .mjs), package.json, config;
    not caches, hidden files or what npm writes into node_modules."""
    parts = Path(path).parts
    return "__pycache__" not in parts and "node_modules" not in parts and not Path(path).name.startswith(".")


def _watch(reloads: Reloads, paths: list[Path], stop: threading.Event) -> None:
    for batch in changes(paths, stop):
        relevant = [p for p in batch if _relevant(p)]
        if relevant:
            logger.info("change detected: %s", ", ".join(sorted({Path(p).name for p in relevant})))
            reloads.run_sync("watch")


def dev(workspace: Path, options: ServeOptions) -> None:
    """Serve from source and reload on change until interrupted."""
    _watched(workspace, options, "dev")


def _watched(workspace: Path, options: ServeOptions, command: str) -> None:
    """Serve the workspace over HTTP, reloading when its files change, until interrupted."""
    source = prepare(workspace, None)
    root = source.root
    ready = configure(source.manifest, root, options, os.environ)
    manifest, settings = ready.manifest, ready.settings
    registry = replace(source, manifest=manifest).registry(settings)
    app = create_app(manifest, settings, registry=registry, rebuild=workspace_rebuild(root, ready.config))
    reloads = app.state.mcp_reloads
    assert isinstance(reloads, Reloads)
    stop = threading.Event()
    paths = load_project(root).watch_paths() or [root]
    watcher = threading.Thread(target=_watch, args=(reloads, paths, stop), name="mcpgen-watch", daemon=True)
    watcher.start()
    # The address comes in the runtime's "serving NAME on http://..." line, once the port is bound.
    logger.info("%s: %d tool(s), watching %s", command, len(manifest.tools), ", ".join(str(p) for p in paths))
    try:
        serve_http(manifest, settings, app=app)
    finally:
        stop.set()
        watcher.join(timeout=5)
