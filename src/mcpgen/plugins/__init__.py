"""Generator and runtime plugins: what a plugin author imports.

::

    from mcpgen.plugins import PluginContext, hookimpl

    requires = ["other-plugin"]          # optional: run after these plugins

    @hookimpl
    def mcpgen_after_manifest(context: PluginContext, manifest):
        return {"x-acme-owner": context.settings.get("owner", "platform-team")}

The hooks, their arguments and when they run are listed in docs/plugins.md;
the Dockerfile instructions a plugin may add are in :mod:`mcpgen.plugins.dockerfile`;
the generator's specs are in :mod:`mcpgen.workflows.plugins`, the runtime's in
:mod:`mcpgen.runtime.plugins`. Loading, ordering and failure handling are in
:mod:`mcpgen.plugins.manager`.
"""

from __future__ import annotations

from mcpgen.plugins.dockerfile import (
    Arg,
    Comment,
    Copy,
    DockerfileAdditions,
    Env,
    Expose,
    Instruction,
    Label,
    Run,
    User,
    Workdir,
)
from mcpgen.plugins.manager import (
    ENTRY_POINT_GROUP,
    PLUGINS_DIR,
    Plugin,
    PluginContext,
    PluginFailure,
    PluginOptions,
    Plugins,
    hookimpl,
    hookspec,
    load_plugins,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "PLUGINS_DIR",
    "Arg",
    "Comment",
    "Copy",
    "DockerfileAdditions",
    "Env",
    "Expose",
    "Instruction",
    "Label",
    "Plugin",
    "PluginContext",
    "PluginFailure",
    "PluginOptions",
    "Plugins",
    "Run",
    "User",
    "Workdir",
    "hookimpl",
    "hookspec",
    "load_plugins",
]
