"""``server.json``: the server's entry for the official MCP Registry (pure).

:func:`server_json` builds it from the project file, the manifest and what the
runtime config says about auth; :func:`check_server_json` checks it against
the registry's schema (``schemas/server.schema.json``, version
:data:`SCHEMA_URL`). What goes in:

- ``name``: ``registry.name`` from ``mcpgen.yaml`` (``io.github.<owner>/<name>``);
  unset, derived from ``build.registry: ghcr.io/<owner>``, else a placeholder
  the registry refuses, with a warning either way. The image carries the same
  name as its ``io.modelcontextprotocol.server.name`` label, which the registry
  checks for OCI packages.
- ``packages``: the OCI image (the ``v{version}`` tag ``mcpgen build`` gives it,
  run with ``--transport stdio``) and, with ``registry.pypi``, the PyPI package;
  each with ``environmentVariables`` from the declared credentials.
- ``remotes``: with ``registry.url``, the deployed ``streamable-http`` endpoint
  (an ``Authorization`` header input when the server has auth).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

from mcpgen.config.project import ProjectFile
from mcpgen.manifest import Credential, Manifest

SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
LABEL = "io.modelcontextprotocol.server.name"
"""The image label the registry reads to tie an OCI package to its server.json."""
PLACEHOLDER_NAMESPACE = "io.github.your-github-user"
MAX_DESCRIPTION = 100
_GHCR = re.compile(r"^ghcr\.io/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))(?:/|$)")

SecretTest = Callable[[Credential], bool]
"""Whether a credential's values are secret (``workflows.credentials.is_masked``)."""


@dataclass(frozen=True)
class RegistryName:
    name: str
    warning: str | None = None


@dataclass(frozen=True)
class ServerJson:
    data: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def registry_name(project: ProjectFile) -> RegistryName:
    """The server's reverse-DNS name (``registry.name``), derived or a placeholder when unset."""
    if project.registry.name:
        return RegistryName(project.registry.name)
    short = re.sub(r"[^A-Za-z0-9._-]", "-", project.name)
    owner = _GHCR.match(project.build.registry or "")
    if owner:
        name = f"io.github.{owner.group(1)}/{short}"
        return RegistryName(
            name,
            f"registry.name is not set in mcpgen.yaml: using {name} (from build.registry); "
            "set it to the name you publish under",
        )
    name = f"{PLACEHOLDER_NAMESPACE}/{short}"
    return RegistryName(
        name,
        f"registry.name is not set in mcpgen.yaml: server.json and the image label use the placeholder "
        f"{name}, which the MCP Registry refuses; set registry.name: io.github.<owner>/{short}",
    )


def environment_variables(manifest: Manifest, is_secret: SecretTest) -> list[dict[str, Any]]:
    """One input per declared credential (a ``when=`` condition makes it not strictly required)."""
    inputs = []
    for credential in manifest.credentials:
        description = credential.description or f"{credential.kind} for {', '.join(credential.declared_by)}"
        if credential.when:
            description += f" (needed when {credential.when})"
        entry: dict[str, Any] = {
            "name": credential.name,
            "description": description,
            "isRequired": credential.required and not credential.when,
            "isSecret": is_secret(credential),
            "format": "string",
        }
        if credential.choices:
            entry["choices"] = list(credential.choices)
        inputs.append(entry)
    return inputs


def _repository(url: str) -> dict[str, str]:
    host = url.split("://", 1)[1].split("/", 1)[0].lower()
    source = "github" if host == "github.com" else "gitlab" if host == "gitlab.com" else host
    return {"url": url, "source": source}


def server_json(
    project: ProjectFile,
    manifest: Manifest,
    *,
    image: str,
    is_secret: SecretTest,
    auth: bool = False,
    mcpgen_version: str = "",
) -> ServerJson:
    """The ``server.json`` of a server whose image is ``image`` (pure)."""
    named = registry_name(project)
    warnings = [named.warning] if named.warning else []
    info = manifest.server
    description = " ".join((project.description or info.instructions or "").split())
    description = description or f"The {info.name} MCP server"
    if len(description) > MAX_DESCRIPTION:
        warnings.append(
            f"description is {len(description)} characters; server.json allows {MAX_DESCRIPTION}: "
            "it was shortened (set a shorter description in mcpgen.yaml)"
        )
        description = description[: MAX_DESCRIPTION - 1].rstrip() + "…"
    env = environment_variables(manifest, is_secret)
    oci: dict[str, Any] = {
        "registryType": "oci",
        "identifier": image,
        "runtimeHint": "docker",
        "transport": {"type": "stdio"},
        "packageArguments": [{"type": "named", "name": "--transport", "value": "stdio"}],
    }
    if env:
        oci["environmentVariables"] = env
    packages = [oci]
    registry = project.registry
    if registry.pypi:
        pypi: dict[str, Any] = {
            "registryType": "pypi",
            "identifier": registry.pypi,
            "version": info.version,
            "runtimeHint": "uvx",
            "transport": {"type": "stdio"},
        }
        if env:
            pypi["environmentVariables"] = env
        packages.append(pypi)
    data: dict[str, Any] = {
        "$schema": SCHEMA_URL,
        "name": named.name,
        "title": info.name[:MAX_DESCRIPTION],
        "description": description,
        "version": info.version,
    }
    if registry.repository:
        data["repository"] = _repository(registry.repository)
    if registry.website:
        data["websiteUrl"] = registry.website
    data["packages"] = packages
    if registry.url:
        remote: dict[str, Any] = {"type": "streamable-http", "url": registry.url}
        if auth:
            remote["headers"] = [
                {
                    "name": "Authorization",
                    "description": "Bearer token: an API key (mcpgen keys create) or an access token",
                    "isRequired": True,
                    "isSecret": True,
                    "value": "Bearer {token}",
                    "variables": {"token": {"isRequired": True, "isSecret": True}},
                }
            ]
        data["remotes"] = [remote]
    data["_meta"] = {
        "io.modelcontextprotocol.registry/publisher-provided": {
            "tool": "mcpgen",
            "version": mcpgen_version,
            "tools": [tool.name for tool in manifest.tools],
        }
    }
    return ServerJson(data, warnings)


@cache
def schema() -> dict[str, Any]:
    text = resources.files("mcpgen.build").joinpath("schemas", "server.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def check_server_json(data: dict[str, Any]) -> list[str]:
    """Every way ``data`` breaks the registry's schema, as ``path: message`` lines (empty: valid)."""
    validator = jsonschema_rs.validator_for(schema())
    return sorted(
        f"{'/'.join(str(p) for p in error.instance_path) or '(top)'}: {error.message}"
        for error in validator.iter_errors(data)
    )


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
