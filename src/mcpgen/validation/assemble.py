"""Assemble the manifest from a discovery result (pure; no validation, no I/O).

Run :func:`mcpgen.validation.validate` first and refuse to write a manifest
when the report has errors: ``build_manifest`` does not check, it only merges
(credentials, dependencies) and orders. The result is canonical, so an
unchanged workspace gives a byte-identical ``mcpgen.manifest.dumps``.
"""

from __future__ import annotations

from mcpgen.discovery import DiscoveryResult
from mcpgen.discovery.deps import merge
from mcpgen.manifest import Capabilities, Dependencies, Manifest, ServerInfo, canonical
from mcpgen.validation.credentials import merge_credentials


def build_manifest(result: DiscoveryResult, server: ServerInfo, mcpgen_version: str) -> Manifest:
    """The v1 manifest for ``result``: entries, merged credentials and dependencies, capabilities."""
    credentials, _ = merge_credentials(result.tools, result.connectors)
    requirements = merge(result.requirements).requirements
    manifest = Manifest(
        mcpgen_version=mcpgen_version,
        server=server,
        tools=list(result.tools),
        resources=list(result.resources),
        prompts=list(result.prompts),
        connectors=list(result.connectors),
        credentials=credentials,
        dependencies=Dependencies(python=requirements, npm=dict(result.npm_dependencies)),
        capabilities=Capabilities(
            tools=bool(result.tools),
            resources=bool(result.resources),
            prompts=bool(result.prompts),
        ),
    )
    return canonical(manifest)
