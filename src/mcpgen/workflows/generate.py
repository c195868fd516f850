"""Workspace → discovery → validation → manifest (the generator, without side effects but the write)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mcpgen import manifest as manifest_io
from mcpgen._version import __version__
from mcpgen.discovery import DiscoveryResult, discover
from mcpgen.discovery.npm import ensure_installed
from mcpgen.errors import WorkspaceError
from mcpgen.manifest import Manifest, ServerInfo
from mcpgen.validation import Report, build_manifest, validate
from mcpgen.workflows.project import Project, load_project


@dataclass(frozen=True)
class Generated:
    project: Project
    discovery: DiscoveryResult
    report: Report
    manifest: Manifest | None
    """``None`` when the report has errors."""


def generate(root: Path, *, timeout: float = 10.0) -> Generated:
    """Discover and validate a workspace; build its manifest when there are no errors.

    When ``tools/package.json`` declares npm packages that are not installed (or changed since),
    ``npm install`` runs in ``tools/`` first (progress on stderr).
    """
    project = load_project(root)
    try:  # TS/JS tools import their npm packages while being described: install them first
        ensure_installed(project.root)
    except Exception as exc:
        message = f"cannot install the npm packages of {project.root / 'tools' / 'package.json'}: {exc}"
        raise WorkspaceError(message, path=project.root / "tools" / "package.json") from exc
    result = discover(project.root, timeout=timeout)
    report = validate(result)
    manifest = manifest_of(project, result) if report.ok else None
    return Generated(project=project, discovery=result, report=report, manifest=manifest)


def manifest_of(project: Project, result: DiscoveryResult) -> Manifest:
    """The manifest of a (valid) discovery result of ``project``."""
    server = ServerInfo(
        name=project.file.name, version=project.file.version, instructions=project.file.instructions
    )
    return build_manifest(result, server, __version__)


def write_manifest(generated: Generated, path: Path | None = None) -> Path:
    """Write the manifest (default ``.mcpgen/manifest.json``); returns where it went."""
    assert generated.manifest is not None
    target = path or generated.project.manifest_path
    manifest_io.write(generated.manifest, target)
    return target
