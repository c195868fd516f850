"""Runtime plugins: middleware for the call pipeline and a hook at server start.

The same plugins as the generator's (the workspace's ``plugins/`` folder, the
``mcpgen.plugins`` entry points, the ``plugins`` config section), loaded by
:func:`mcpgen.plugins.load_plugins` with the two runtime hooks:

- ``mcpgen_middleware(context, settings) -> list[Middleware] | None``: steps
  appended to the pipeline after the configured ones (tracing, metrics, audit,
  RBAC, rate limit), so they see the calls those let through, on every wire
  (the fast path, the SDK path, stdio). A middleware is an object with one
  async ``__call__(call, call_next)`` (:class:`mcpgen.runtime.pipeline.Middleware`).
- ``mcpgen_server_start(context, manifest, settings)``: once the connectors are
  up, before the server reports ready; may be ``async def``.

A plugin that fails (to load, or in a hook) is logged as a warning naming it and
the hook, and the server goes on without it; a plugin in ``plugins.required``
stops the start (:class:`~mcpgen.errors.PluginError`).
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mcpgen.errors import PluginError
from mcpgen.manifest import Manifest
from mcpgen.plugins import PluginContext, PluginFailure, Plugins, hookspec, load_plugins
from mcpgen.runtime.pipeline import Middleware
from mcpgen.runtime.settings import Settings

logger = logging.getLogger("mcpgen.runtime")


class RuntimeSpecs:
    """The runtime's hooks; signatures are what plugins implement."""

    @hookspec
    def mcpgen_middleware(self, context: PluginContext, settings: Settings) -> Sequence[Middleware] | None:
        """Middleware to append to the call pipeline (after the configured ones), outermost first."""

    @hookspec
    def mcpgen_server_start(self, context: PluginContext, manifest: Manifest, settings: Settings) -> None:
        """The server is starting (connectors connected, not yet ready); may be ``async def``."""


@dataclass
class RuntimePlugins:
    """The runtime's view of the loaded plugins."""

    plugins: Plugins
    reported: int = 0

    @classmethod
    def load(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> RuntimePlugins:
        loaded = load_plugins(
            settings.root,
            settings.plugins,
            environ=os.environ if environ is None else environ,
            specs=(RuntimeSpecs,),
        )
        found = cls(loaded)
        found.report()
        return found

    def report(self) -> None:
        """Log each new failure; raise for a required plugin's."""
        fresh: list[PluginFailure] = self.plugins.failures[self.reported :]
        self.reported = len(self.plugins.failures)
        for failure in fresh:
            if failure.required:
                raise PluginError(str(failure), plugins=(failure.plugin,), hook=failure.hook)
            logger.warning("%s (the server goes on without it)", failure)
            logger.debug("%s", failure.detail)

    def middleware(self, settings: Settings) -> list[Middleware]:
        chain: list[Middleware] = []
        for plugin, result in self.plugins.call("mcpgen_middleware", settings=settings):
            for step in result or ():  # type: ignore[attr-defined]
                if callable(step):
                    chain.append(step)
                else:
                    self.plugins.failures.append(
                        PluginFailure(
                            plugin.name,
                            "mcpgen_middleware",
                            f"returned {type(step).__name__}, not a middleware (an object with an async "
                            "__call__(call, call_next))",
                            plugin.origin,
                            plugin.required,
                        )
                    )
        self.report()
        return chain

    async def server_start(self, manifest: Manifest, settings: Settings) -> None:
        for plugin, result in self.plugins.call("mcpgen_server_start", manifest=manifest, settings=settings):
            if inspect.isawaitable(result):
                try:
                    await result
                except Exception as exc:
                    self.plugins.failures.append(
                        PluginFailure(
                            plugin.name,
                            "mcpgen_server_start",
                            f"{type(exc).__name__}: {exc}",
                            plugin.origin,
                            plugin.required,
                        )
                    )
        self.report()
