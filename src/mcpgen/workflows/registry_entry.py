"""``mcpgen generate``'s ``server.json``: the workspace's entry for the official MCP Registry.

Written at the workspace root (where ``mcp-publisher publish`` looks for it) every time, like the
manifest: it is derived from ``mcpgen.yaml`` (``registry:``), the manifest and the runtime config,
so edits belong there. Checked against the registry's schema before it is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mcpgen._version import __version__
from mcpgen.build.server_json import check_server_json, dumps, server_json
from mcpgen.errors import ConfigError, UsageError
from mcpgen.runtime.settings import settings_from_config
from mcpgen.workflows.credentials import is_masked
from mcpgen.workflows.deploy import default_image, runtime_config
from mcpgen.workflows.generate import Generated

FILE = "server.json"


@dataclass(frozen=True)
class RegistryEntry:
    path: Path
    name: str
    warnings: list[str]


def write_server_json(generated: Generated, environ: Mapping[str, str]) -> RegistryEntry:
    """Build, check and write ``server.json``; raises :class:`UsageError` naming every schema problem."""
    assert generated.manifest is not None
    project = generated.project
    warnings: list[str] = []
    try:
        config = runtime_config(project, generated.manifest, environ)
        auth = settings_from_config(config, project.root).auth.enabled
    except ConfigError as exc:  # generate still writes what it can; the config's problem is named
        auth = False
        warnings.append(f"{FILE}: the runtime config does not load ({exc.message}); written as without auth")
    entry = server_json(
        project.file,
        generated.manifest,
        image=default_image(project.file),
        is_secret=is_masked,
        auth=auth,
        mcpgen_version=__version__,
    )
    problems = check_server_json(entry.data)
    if problems:
        raise UsageError(
            f"{FILE} would not match the MCP Registry schema (check registry: in mcpgen.yaml):\n  "
            + "\n  ".join(problems)
        )
    path = project.root / FILE
    path.write_text(dumps(entry.data), encoding="utf-8")
    return RegistryEntry(path, str(entry.data["name"]), [*entry.warnings, *warnings])
