"""Finding, ordering and calling plugins (pluggy underneath).

A plugin is a module (or any object) with hook functions marked ``@hookimpl``.
It comes from a ``*.py`` file or a package folder in the workspace's
``plugins/`` (and ``plugins.paths``), or from an installed distribution's
``mcpgen.plugins`` entry point. Its name is the file stem or the entry point's
name; it may declare ``requires = ["other"]`` (plugins it runs after) and a
docstring (its description).

:func:`load_plugins` finds them, keeps those the ``plugins`` config section
enables, imports them (a plugin that fails to import becomes a
:class:`PluginFailure` with hook ``load``; the others load) and orders them by
their ``requires`` (dependencies first; a cycle raises
:class:`~mcpgen.errors.PluginError` naming the plugins). :meth:`Plugins.call`
calls one hook on each plugin in that order, one at a time: a plugin that raises
becomes a failure naming it and the hook and the next plugin runs. What a
failure means (a warning, or, for a ``required`` plugin, a stop) the caller
decides: the generator makes it a diagnostic, the runtime logs it.

The hook specs live with the step that calls them: the generator's in
:mod:`mcpgen.workflows.plugins`, the runtime's in :mod:`mcpgen.runtime.plugins`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import logging
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Literal

import pluggy

from mcpgen.config.models import PluginsConfig
from mcpgen.errors import PluginError

PROJECT = "mcpgen"
ENTRY_POINT_GROUP = "mcpgen.plugins"
PLUGINS_DIR = "plugins"
LOAD = "load"
"""The pseudo-hook a failure names when the plugin could not be imported or ordered."""

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
"""Mark a plugin's function as the implementation of the hook of the same name."""

logger = logging.getLogger("mcpgen.plugins")

Source = Literal["workspace", "entry point"]


@dataclass(frozen=True)
class PluginOptions:
    """The ``plugins`` config section as plain values (the runtime keeps these in its settings)."""

    enabled: tuple[str, ...] = ()
    disabled: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    settings: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    @classmethod
    def of(cls, config: PluginsConfig) -> PluginOptions:
        return cls(
            enabled=tuple(config.enabled),
            disabled=tuple(config.disabled),
            paths=tuple(config.paths),
            required=tuple(config.required),
            settings={name: dict(values) for name, values in config.settings.items()},
        )


@dataclass(frozen=True)
class PluginContext:
    """What every hook may take as ``context``: the plugin's own name, settings and the workspace.

    ``settings`` is ``plugins.settings.<name>`` of the config. :meth:`secret`
    reads a secret from the environment, then from the workspace's secret store
    (``mcpgen secrets set NAME``); never log what it returns.
    """

    name: str
    root: Path
    settings: Mapping[str, object]
    environ: Mapping[str, str]
    logger: logging.Logger

    def secret(self, name: str) -> str | None:
        value = self.environ.get(name)
        if value:
            return value
        state = self.root / ".mcpgen"
        if not (state / "secrets.enc").is_file():
            return None
        from mcpgen.secrets import SecretStore

        return SecretStore.open(state, environ=self.environ, create=False).get(name)


@dataclass(frozen=True)
class Plugin:
    """One loaded plugin."""

    name: str
    source: Source
    origin: str
    """The file or folder (workspace plugins), or ``distribution version: module:attr`` (entry points)."""
    obj: object
    requires: tuple[str, ...] = ()
    description: str = ""
    version: str = ""
    required: bool = False

    def hooks(self) -> list[str]:
        """Names of the hooks this plugin implements, sorted."""
        found = []
        for attr in dir(self.obj):
            value = getattr(self.obj, attr, None)
            if callable(value) and hasattr(value, f"{PROJECT}_impl"):
                found.append(attr)
        return sorted(found)

    def to_data(self) -> dict[str, object]:
        return {
            "name": self.name,
            "source": self.source,
            "origin": self.origin,
            "version": self.version,
            "description": self.description,
            "requires": list(self.requires),
            "required": self.required,
            "hooks": self.hooks(),
        }


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that raised in a hook (or could not be loaded: hook ``load``)."""

    plugin: str
    hook: str
    message: str
    origin: str = ""
    required: bool = False
    detail: str = ""
    """The traceback (shown with ``--verbose``, logged at debug), never part of ``str()``."""

    def __str__(self) -> str:
        kind = "required plugin" if self.required else "plugin"
        return f"{kind} {self.plugin!r} failed in {self.hook}: {self.message}"

    def to_data(self) -> dict[str, object]:
        return {
            "plugin": self.plugin,
            "hook": self.hook,
            "message": self.message,
            "origin": self.origin,
            "required": self.required,
        }


@dataclass(frozen=True)
class _Found:
    name: str
    source: Source
    origin: str
    load: Callable[[], object]
    version: str = ""


def _import_file(path: Path) -> ModuleType:
    """Import a plugin file or package folder under a name unique to its path and version (an edit re-imports)."""
    init = path / "__init__.py" if path.is_dir() else path
    digest = hashlib.sha256(f"{path.resolve()}:{init.stat().st_mtime_ns}".encode()).hexdigest()[:10]
    module_name = f"_mcpgen_plugin_{path.stem.replace('-', '_')}_{digest}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(
        module_name, init, submodule_search_locations=[str(path)] if path.is_dir() else None
    )
    if spec is None or spec.loader is None:  # pragma: no cover - spec_from_file_location on a .py file
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def _workspace_plugins(root: Path, folders: Sequence[str]) -> list[_Found]:
    found: list[_Found] = []
    for folder in folders:
        base = (root / folder).resolve()
        if not base.is_dir():
            continue
        for path in sorted(base.iterdir()):
            if path.name.startswith(("_", ".")):
                continue
            if (path.is_file() and path.suffix == ".py") or (
                path.is_dir() and (path / "__init__.py").is_file()
            ):
                try:
                    origin = path.relative_to(root.resolve()).as_posix()
                except ValueError:
                    origin = str(path)
                found.append(_Found(path.stem, "workspace", origin, partial(_import_file, path)))
    return found


def _entry_point_plugins() -> list[_Found]:
    found: list[_Found] = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist
        version = dist.version if dist is not None else ""
        label = f"{dist.name} {version}: {ep.value}" if dist is not None else ep.value
        found.append(_Found(ep.name, "entry point", label, ep.load, version))
    return found


def _instantiate(obj: object) -> object:
    return obj() if inspect.isclass(obj) else obj


def _describe(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def order(plugins: Sequence[Plugin]) -> list[Plugin]:
    """``plugins`` with each after the ones it ``requires``; ties keep their order. A cycle raises."""
    by_name = {p.name: p for p in plugins}
    done: list[Plugin] = []
    state: dict[str, str] = {}

    def visit(plugin: Plugin, path: list[str]) -> None:
        mark = state.get(plugin.name)
        if mark == "done":
            return
        if mark == "visiting":
            cycle = [*path[path.index(plugin.name) :], plugin.name]
            raise PluginError(
                "plugins depend on each other in a cycle: "
                + " → ".join(cycle)
                + "; remove one of these `requires` entries",
                plugins=tuple(dict.fromkeys(cycle)),
            )
        state[plugin.name] = "visiting"
        for dep in plugin.requires:
            if dep in by_name:
                visit(by_name[dep], [*path, plugin.name])
        state[plugin.name] = "done"
        done.append(plugin)

    for plugin in plugins:
        visit(plugin, [])
    return done


class Plugins:
    """The loaded plugins, in dependency order, with the hook specs of whoever calls them.

    :meth:`call` returns each plugin's result and records failures in
    :attr:`failures` (the load failures are there from the start).
    """

    def __init__(
        self,
        plugins: Sequence[Plugin],
        *,
        root: Path,
        options: PluginOptions,
        environ: Mapping[str, str],
        failures: Iterable[PluginFailure] = (),
        specs: Iterable[type] = (),
    ) -> None:
        self.root = root
        self.options = options
        self.environ = environ
        self.failures: list[PluginFailure] = list(failures)
        self.manager = pluggy.PluginManager(PROJECT)
        for spec in specs:
            self.manager.add_hookspecs(spec)
        self.plugins: list[Plugin] = []
        for plugin in plugins:
            try:
                self.manager.register(plugin.obj, name=plugin.name)
            except (pluggy.PluginValidationError, ValueError) as exc:
                self.failures.append(_failure(plugin, LOAD, exc))
                continue
            self.plugins.append(plugin)

    def unknown_hooks(self, prefix: str = f"{PROJECT}_") -> None:
        """Record a failure for each hook a plugin implements that no spec declares (a typo, another version)."""
        known = {n for n, c in vars(self.manager.hook).items() if getattr(c, "spec", None) is not None}
        for plugin in list(self.plugins):
            unknown = [h for h in plugin.hooks() if h.startswith(prefix) and h not in known]
            if unknown:
                self.failures.append(
                    PluginFailure(
                        plugin.name,
                        LOAD,
                        f"implements unknown hook(s) {', '.join(unknown)}; see docs/plugins.md for the hooks",
                        plugin.origin,
                        plugin.required,
                    )
                )

    def context(self, plugin: Plugin) -> PluginContext:
        return PluginContext(
            name=plugin.name,
            root=self.root,
            settings=dict(self.options.settings.get(plugin.name, {})),
            environ=self.environ,
            logger=logging.getLogger(f"mcpgen.plugins.{plugin.name}"),
        )

    def call(self, hook: str, **kwargs: object) -> list[tuple[Plugin, object]]:
        """Call ``hook`` on every plugin implementing it, dependencies first; ``context`` is added per plugin.

        Returns ``(plugin, result)`` for each plugin that returned; one that raised is recorded in
        :attr:`failures` (and left out) and the next one runs.
        """
        return self.call_each(hook, kwargs)

    def call_each(
        self, hook: str, kwargs: Mapping[str, object], each: Callable[[Plugin], None] | None = None
    ) -> list[tuple[Plugin, object]]:
        """:meth:`call`, with ``each`` called with the plugin before its turn."""
        caller = getattr(self.manager.hook, hook, None)
        if caller is None:
            return []
        impls = {impl.plugin_name: impl for impl in caller.get_hookimpls()}
        results: list[tuple[Plugin, object]] = []
        for plugin in self.plugins:
            impl = impls.get(plugin.name)
            if impl is None:
                continue
            given = {**kwargs, "context": self.context(plugin)}
            if each is not None:
                each(plugin)
            try:
                results.append((plugin, impl.function(*[given[a] for a in impl.argnames])))
            except (Exception, SystemExit) as exc:
                self.record(plugin, hook, exc)
        return results

    def record(self, plugin: Plugin, hook: str, exc: BaseException) -> None:
        """Record that ``plugin`` raised ``exc`` in ``hook`` (or while its result was read)."""
        failure = _failure(plugin, hook, exc)
        logger.debug("%s\n%s", failure, failure.detail)
        self.failures.append(failure)

    def get(self, name: str) -> Plugin | None:
        return next((p for p in self.plugins if p.name == name), None)


def _failure(plugin: Plugin | _Found, hook: str, exc: BaseException) -> PluginFailure:
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    required = plugin.required if isinstance(plugin, Plugin) else False
    detail = "".join(traceback.format_exception(exc))[-4000:]
    return PluginFailure(plugin.name, hook, message, plugin.origin, required, detail)


def load_plugins(
    root: Path,
    options: PluginOptions,
    *,
    environ: Mapping[str, str],
    specs: Iterable[type] = (),
    entry_points: bool = True,
) -> Plugins:
    """Find, filter, import and order the plugins of workspace ``root`` (see the module docstring).

    Raises :class:`~mcpgen.errors.PluginError` for a dependency cycle; every other problem
    (an import error, a missing dependency, a plugin named in ``enabled`` or ``required``
    that does not exist) is a :class:`PluginFailure` in the result.
    """
    found = _workspace_plugins(root, (PLUGINS_DIR, *options.paths))
    if entry_points:
        found += _entry_point_plugins()
    failures: list[PluginFailure] = []
    chosen: dict[str, _Found] = {}
    for item in found:
        if item.name in options.disabled or (options.enabled and item.name not in options.enabled):
            continue
        if item.name in chosen:
            first = chosen[item.name]
            failures.append(
                PluginFailure(
                    item.name,
                    LOAD,
                    f"another plugin of this name is already loaded from {first.origin}; this one is "
                    "ignored (rename it, or disable one)",
                    item.origin,
                    item.name in options.required,
                )
            )
            continue
        chosen[item.name] = item
    for name in (*options.enabled, *options.required):
        if name not in chosen and name not in options.disabled and name not in {f.plugin for f in failures}:
            failures.append(
                PluginFailure(
                    name,
                    LOAD,
                    f"no plugin of this name in {PLUGINS_DIR}/, plugins.paths or the installed "
                    f"{ENTRY_POINT_GROUP!r} entry points",
                    required=name in options.required,
                )
            )
    loaded: list[Plugin] = []
    for item in chosen.values():
        required = item.name in options.required
        try:
            obj = _instantiate(item.load())
        except (Exception, SystemExit) as exc:
            failures.append(_failure(_stub(item, required), LOAD, exc))
            continue
        requires = getattr(obj, "requires", ())
        if isinstance(requires, str):
            requires = (requires,)
        version = item.version or str(getattr(obj, "__version__", "") or "")
        loaded.append(
            Plugin(
                name=item.name,
                source=item.source,
                origin=item.origin,
                obj=obj,
                requires=tuple(str(r) for r in requires),
                description=_describe(obj),
                version=version,
                required=required,
            )
        )
    loaded = _drop_unmet(loaded, failures)
    return Plugins(order(loaded), root=root, options=options, environ=environ, failures=failures, specs=specs)


def _stub(item: _Found, required: bool) -> Plugin:
    """A stand-in :class:`Plugin` for a plugin that failed to import (for its failure record)."""
    return Plugin(item.name, item.source, item.origin, None, required=required)


def _drop_unmet(plugins: list[Plugin], failures: list[PluginFailure]) -> list[Plugin]:
    """Leave out (as load failures) plugins whose ``requires`` names a plugin that did not load."""
    while True:
        names = {p.name for p in plugins}
        unmet = [p for p in plugins if any(r not in names for r in p.requires)]
        if not unmet:
            return plugins
        for plugin in unmet:
            missing = [r for r in plugin.requires if r not in names]
            failures.append(
                PluginFailure(
                    plugin.name,
                    LOAD,
                    f"requires {', '.join(repr(m) for m in missing)}, which did not load "
                    "(not installed, disabled, or failed)",
                    plugin.origin,
                    plugin.required,
                )
            )
        plugins = [p for p in plugins if p not in unmet]
