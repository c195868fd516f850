"""Generator plugins: the hook specs of the generator's steps, loading a workspace's plugins, and the calls.

The hooks (every one may also take ``context: PluginContext``; a plugin takes only the
arguments it names):

=============================== ======================================= ==========================================
hook                            when                                    returns
=============================== ======================================= ==========================================
``mcpgen_after_scan``           discovery found the workspace's modules nothing (look only)
``mcpgen_after_validation``     the validation rules ran                diagnostics to add (or nothing)
``mcpgen_after_manifest``       the manifest was assembled              ``{"x-...": value}`` keys to add
``mcpgen_dockerfile``           the Dockerfile is about to be rendered  nothing: calls ``dockerfile.add(point, ...)``
``mcpgen_check_dockerfile``     the Dockerfile was rendered             diagnostics (a linter)
``mcpgen_before_build``         right before the image build            nothing
``mcpgen_after_build``          the image is built and tagged           nothing
``mcpgen_after_push``           every tag is pushed                     nothing
``mcpgen_build_failed``         a build step failed                     nothing
=============================== ======================================= ==========================================

The runtime's hooks (``mcpgen_middleware``, ``mcpgen_server_start``) are in
:mod:`mcpgen.runtime.plugins`. A plugin that raises becomes a diagnostic
(``plugin-error``) naming it and the hook, a warning; for a plugin listed in
``plugins.required`` it is an error, which stops the build.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

from mcpgen.config import load_config
from mcpgen.config.models import PluginsConfig
from mcpgen.config.reader import read_document
from mcpgen.discovery import Diagnostic, DiscoveryResult
from mcpgen.errors import ConfigError, ImageBuildError, UsageError
from mcpgen.manifest import Manifest
from mcpgen.manifest.models import EXTENSION_PREFIX
from mcpgen.plugins import (
    Plugin,
    PluginContext,
    PluginFailure,
    PluginOptions,
    Plugins,
    hookspec,
    load_plugins,
)
from mcpgen.plugins.dockerfile import DockerfileAdditions
from mcpgen.runtime import plugins as runtime_specs

PLUGIN_ERROR = "plugin-error"
"""Diagnostic code of a plugin that raised (or could not load)."""


@dataclass(frozen=True)
class BuildInfo:
    """What the build hooks see: the image being built and, as the build goes on, its result."""

    root: Path
    project: str
    version: str
    tags: Sequence[str] = ()
    image_id: str = ""
    pushed: Sequence[str] = ()
    cached: bool = False
    duration: float = 0.0
    dockerfile: str = ""
    error: str = ""
    """The failure, for ``mcpgen_build_failed``."""

    def to_data(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "version": self.version,
            "tags": list(self.tags),
            "imageId": self.image_id,
            "pushed": list(self.pushed),
            "upToDate": self.cached,
            "durationSeconds": round(self.duration, 2),
            "error": self.error,
        }


class GeneratorSpecs:
    """The generator's hooks (see the module docstring); signatures are what plugins implement."""

    @hookspec
    def mcpgen_after_scan(self, context: PluginContext, discovery: DiscoveryResult) -> None:
        """Discovery found the workspace's tools, resources, prompts and connectors."""

    @hookspec
    def mcpgen_after_validation(
        self, context: PluginContext, discovery: DiscoveryResult, diagnostics: Sequence[Diagnostic]
    ) -> Iterable[Diagnostic] | None:
        """The validation rules ran; return diagnostics to add (an error blocks the manifest)."""

    @hookspec
    def mcpgen_after_manifest(self, context: PluginContext, manifest: Manifest) -> Mapping[str, Any] | None:
        """The manifest is assembled; return top-level ``x-*`` keys (JSON values) to add to it."""

    @hookspec
    def mcpgen_dockerfile(
        self, context: PluginContext, dockerfile: DockerfileAdditions, manifest: Manifest
    ) -> None:
        """The Dockerfile is about to be rendered; add instructions with ``dockerfile.add(point, ...)``."""

    @hookspec
    def mcpgen_check_dockerfile(self, context: PluginContext, dockerfile: str) -> Iterable[Diagnostic] | None:
        """The rendered Dockerfile text; return diagnostics (path ``Dockerfile``; an error stops the build)."""

    @hookspec
    def mcpgen_before_build(self, context: PluginContext, build: BuildInfo) -> None:
        """The image is about to be built (``build.tags`` and ``build.dockerfile`` are set)."""

    @hookspec
    def mcpgen_after_build(self, context: PluginContext, build: BuildInfo) -> None:
        """The image is built and tagged (``image_id``, ``cached`` for an up-to-date image, ``duration``)."""

    @hookspec
    def mcpgen_after_push(self, context: PluginContext, build: BuildInfo) -> None:
        """Every tag is pushed (``build.pushed``)."""

    @hookspec
    def mcpgen_build_failed(self, context: PluginContext, build: BuildInfo) -> None:
        """A build step failed (``build.error`` says which and why); nothing was tagged."""


def plugins_config(root: Path, environ: Mapping[str, str]) -> PluginsConfig:
    """The ``plugins`` section of the workspace's config (files, environment).

    When the whole config does not load (say an unset ``${VAR}`` elsewhere: validation must
    still work), the section is read from ``config/config.yaml`` alone.
    """
    try:
        return load_config(root, environ=environ).config.plugins
    except ConfigError:
        path = next(
            (p for p in (root / "config" / f"config{s}" for s in (".yaml", ".yml")) if p.is_file()), None
        )
        if path is None:
            raise
        data = read_document(path, f"config/{path.name}").data
        section = data.get("plugins") if isinstance(data, dict) else None
        try:
            return PluginsConfig.model_validate(section or {})
        except ValueError as exc:
            raise ConfigError(f"config/{path.name}: plugins: {exc}", key="plugins") from exc


@dataclass
class GeneratorPlugins:
    """A workspace's plugins with the generator's (and the runtime's) specs, and the calls the steps make."""

    plugins: Plugins
    reported: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @classmethod
    def load(cls, root: Path, environ: Mapping[str, str] | None = None) -> GeneratorPlugins:
        environ = os.environ if environ is None else environ
        options = PluginOptions.of(plugins_config(root, environ))
        loaded = load_plugins(
            root, options, environ=environ, specs=(GeneratorSpecs, runtime_specs.RuntimeSpecs)
        )
        loaded.unknown_hooks()
        return cls(loaded)

    def new_failures(self) -> list[PluginFailure]:
        """Failures since the last call (each reported once)."""
        fresh = self.plugins.failures[self.reported :]
        self.reported = len(self.plugins.failures)
        return fresh

    def failure_diagnostics(self) -> list[Diagnostic]:
        return [failure_diagnostic(f) for f in self.new_failures()]

    def after_scan(self, discovery: DiscoveryResult) -> None:
        self.plugins.call("mcpgen_after_scan", discovery=discovery)

    def after_validation(
        self, discovery: DiscoveryResult, diagnostics: Sequence[Diagnostic]
    ) -> list[Diagnostic]:
        return self._diagnostics(
            "mcpgen_after_validation", discovery=discovery, diagnostics=tuple(diagnostics)
        )

    def after_manifest(self, manifest: Manifest) -> tuple[Manifest, list[Diagnostic]]:
        extensions: dict[str, Any] = {}
        problems: list[Diagnostic] = []
        for plugin, result in self.plugins.call("mcpgen_after_manifest", manifest=manifest):
            if result is None:
                continue
            if not isinstance(result, Mapping):
                problems.append(_bad_result(plugin.name, plugin.origin, "mcpgen_after_manifest", result))
                continue
            for key, value in result.items():
                message = _extension_problem(key, value, extensions)
                if message:
                    problems.append(
                        Diagnostic(
                            "error" if plugin.required else "warning",
                            PLUGIN_ERROR,
                            f"plugin {plugin.name!r} in mcpgen_after_manifest: {message}; key ignored",
                            plugin.origin,
                            name=plugin.name,
                        )
                    )
                    continue
                extensions[key] = value
        if not extensions:
            return manifest, problems
        data = {**manifest.model_dump(by_alias=True), **extensions}
        return Manifest.model_validate(data), problems

    def dockerfile_additions(self, manifest: Manifest) -> DockerfileAdditions:
        additions = DockerfileAdditions()

        def attribute(plugin: Plugin) -> None:  # each added line names its plugin
            additions.plugin = plugin.name

        self.plugins.call_each(
            "mcpgen_dockerfile", {"dockerfile": additions, "manifest": manifest}, attribute
        )
        additions.plugin = ""
        return additions

    def check_dockerfile(self, text: str) -> list[Diagnostic]:
        return self._diagnostics("mcpgen_check_dockerfile", dockerfile=text)

    def _diagnostics(self, hook: str, **kwargs: object) -> list[Diagnostic]:
        """The diagnostics a hook's plugins return, each named after its plugin; anything else is a problem."""
        found: list[Diagnostic] = []
        for plugin, result in self.plugins.call(hook, **kwargs):
            if result is None:
                continue
            items: list[object] = [result]
            if isinstance(result, Iterable) and not isinstance(result, Diagnostic | str | Mapping):
                try:
                    items = list(result)
                except Exception as exc:  # a generator that raised
                    self.plugins.record(plugin, hook, exc)
                    continue
            for item in items:
                if isinstance(item, Diagnostic):
                    found.append(item if item.name else replace(item, name=plugin.name))
                else:
                    found.append(_bad_result(plugin.name, plugin.origin, hook, item))
        return found

    def build_hook(self, hook: str, build: BuildInfo) -> list[str]:
        """Call a build hook; returns the warnings to show. A ``required`` plugin's failure raises."""
        self.plugins.call(hook, build=build)
        warnings = []
        for failure in self.new_failures():
            if failure.required:
                raise ImageBuildError(str(failure), step=hook)
            warnings.append(str(failure))
        return warnings


def _bad_result(plugin: str, origin: str, hook: str, item: object) -> Diagnostic:
    return Diagnostic(
        "warning",
        PLUGIN_ERROR,
        f"plugin {plugin!r} in {hook}: returned {type(item).__name__} {str(item)[:80]!r}, not what the hook "
        "returns (see docs/plugins.md); ignored",
        origin,
        name=plugin,
    )


def _extension_problem(key: object, value: object, taken: Mapping[str, Any]) -> str:
    if not isinstance(key, str) or not key.startswith(EXTENSION_PREFIX) or len(key) <= len(EXTENSION_PREFIX):
        return f"manifest key {key!r} does not start with {EXTENSION_PREFIX!r}"
    if key in taken:
        return f"manifest key {key!r} was already added by another plugin"
    try:
        orjson.dumps(value)
    except TypeError as exc:
        return f"manifest key {key!r}: value is not JSON ({exc})"
    return ""


def failure_diagnostic(failure: PluginFailure) -> Diagnostic:
    """A plugin failure as a diagnostic: an error for a ``required`` plugin, else a warning."""
    return Diagnostic(
        "error" if failure.required else "warning",
        PLUGIN_ERROR,
        str(failure),
        failure.origin or "plugins",
        name=failure.plugin,
        detail=failure.detail or None,
    )


def plugin_listing(root: Path, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``mcpgen plugins list``: every loaded plugin (in call order) and every load problem."""
    loaded = GeneratorPlugins.load(root, environ).plugins
    return {
        "plugins": [p.to_data() for p in loaded.plugins],
        "problems": [f.to_data() for f in loaded.failures],
    }


def plugin_info(root: Path, name: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``mcpgen plugins info NAME``: one plugin, its hooks (with what each is for) and its settings."""
    loaded = GeneratorPlugins.load(root, environ).plugins
    plugin = loaded.get(name)
    problems = [f.to_data() for f in loaded.failures if f.plugin == name]
    if plugin is None:
        names = ", ".join(p.name for p in loaded.plugins) or "none"
        why = f": {problems[0]['message']}" if problems else ""
        raise UsageError(
            f"no plugin {name!r} is loaded{why} (loaded: {names})", hint="run `mcpgen plugins list`"
        )
    data = plugin.to_data()
    specs = {**vars(GeneratorSpecs), **vars(runtime_specs.RuntimeSpecs)}
    data["hooks"] = [
        {"name": hook, "doc": (getattr(specs.get(hook), "__doc__", "") or "").strip()}
        for hook in plugin.hooks()
    ]
    data["settings"] = dict(loaded.options.settings.get(name, {}))
    data["problems"] = problems
    return data


__all__ = [
    "PLUGIN_ERROR",
    "BuildInfo",
    "GeneratorPlugins",
    "GeneratorSpecs",
    "failure_diagnostic",
    "plugin_info",
    "plugin_listing",
    "plugins_config",
]
