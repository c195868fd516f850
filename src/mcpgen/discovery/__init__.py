"""Find and describe the modules of a workspace.

``discover(root)`` scans the drop-in folders, reads declared dependencies from
file text, imports Python modules in worker subprocesses and returns a
:class:`DiscoveryResult`: manifest entries plus every problem found, each as a
:class:`Diagnostic` with its file and line. It never raises for a broken user
module. Cross-file rules (duplicate names, schema checks, dependency conflicts,
credential merging) are :mod:`mcpgen.validation`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mcpgen.discovery.deps import (
    REQUIREMENTS_TXT,
    Declared,
    FileDeps,
    read_requirements_txt,
    read_script_deps,
)
from mcpgen.discovery.diagnostics import Diagnostic, Severity, ordered, warning
from mcpgen.discovery.node_loader import load_node
from mcpgen.discovery.npm import NpmDeclared, check_imports, merge_npm, read_package_json
from mcpgen.discovery.openapi import OpenApiOptions, load_openapi
from mcpgen.discovery.python_loader import ModuleResult, load_python
from mcpgen.discovery.scan import NODE_KINDS, Kind, Language, SourceFile, scan, unsupported
from mcpgen.discovery.ts_schema import derive_schema
from mcpgen.manifest import ConnectorEntry, PromptEntry, ResourceEntry, ToolEntry

__all__ = [
    "Declared",
    "Diagnostic",
    "DiscoveryResult",
    "Kind",
    "Language",
    "OpenApiOptions",
    "SeedVersion",
    "Severity",
    "SourceFile",
    "discover",
    "scan",
]


@dataclass(frozen=True, slots=True)
class SeedVersion:
    """The ``schemaVersion`` a seed-format module declares for its tool."""

    path: str
    name: str
    version: str
    line: int | None = None


@dataclass(frozen=True)
class DiscoveryResult:
    """Everything discovery found in a workspace, sorted for stable output."""

    root: Path
    files: list[SourceFile] = field(default_factory=list)
    tools: list[ToolEntry] = field(default_factory=list)
    resources: list[ResourceEntry] = field(default_factory=list)
    prompts: list[PromptEntry] = field(default_factory=list)
    connectors: list[ConnectorEntry] = field(default_factory=list)
    requirements: list[Declared] = field(default_factory=list)
    """Every declared requirement with its file and line (PEP 723 blocks, tools/requirements.txt)."""
    requires_python: dict[str, str] = field(default_factory=dict)
    seed_versions: list[SeedVersion] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    npm_dependencies: dict[str, str] = field(default_factory=dict)
    """npm package → range, merged from tools/package.json and inline seed ``metadata.dependencies``."""

    @property
    def dependencies(self) -> dict[str, list[str]]:
        """Module path → the requirement strings it declares."""
        found: dict[str, list[str]] = {}
        for d in self.requirements:
            found.setdefault(d.path, []).append(str(d.requirement))
        return found

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def _read_deps(
    root: Path, files: list[SourceFile]
) -> tuple[list[Declared], dict[str, str], list[Diagnostic]]:
    declared: list[Declared] = []
    python: dict[str, str] = {}
    diagnostics: list[Diagnostic] = []
    sources: list[tuple[str, FileDeps]] = []
    txt = root / REQUIREMENTS_TXT
    if txt.is_file():
        sources.append((REQUIREMENTS_TXT, read_requirements_txt(_read_text(txt), REQUIREMENTS_TXT)))
    for f in files:
        if f.language == "python":
            sources.append((f.path, read_script_deps(f.path, _read_text(f.absolute(root)))))
    for path, deps in sources:
        declared.extend(deps.requirements)
        diagnostics.extend(deps.diagnostics)
        if deps.requires_python is not None:
            python[path] = deps.requires_python
    return declared, python, diagnostics


def _read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def _no_definitions(f: SourceFile, loaded: ModuleResult) -> Diagnostic | None:
    if loaded.diagnostics or loaded.tools or loaded.resources or loaded.prompts or loaded.connectors:
        return None
    what = "connector" if f.kind == "connectors" else "tool, resource or prompt"
    return warning(
        "no-definitions",
        f"defines no {what} (name helper modules with a leading '_' so they are skipped)",
        f.path,
    )


def _load_node_modules(
    root: Path, files: list[SourceFile], timeout: float, workers: int
) -> tuple[list[ModuleResult], dict[str, str], list[Diagnostic]]:
    """Describe TS/JS tools and connectors with the Node bridge; check tools' imports; merge npm dependencies."""
    declared, diagnostics = read_package_json(root)
    if not files:
        return [], {}, diagnostics
    loaded = load_node(root, files, timeout=timeout, workers=workers, derive=derive_schema)
    inline = [
        NpmDeclared(m.path, package, spec)
        for m in loaded
        for package, spec in sorted((m.npm_dependencies or {}).items())
    ]
    known = {d.package for d in declared}
    for f, module in zip(files, loaded, strict=True):
        if f.kind != "tools":  # npm packages are installed for tools/ only
            continue
        own = known | set(module.npm_dependencies or {})
        diagnostics += check_imports(f.path, _read_text(f.absolute(root)), own)
    merged = merge_npm([*declared, *inline])
    return list(loaded), merged.dependencies, diagnostics + merged.diagnostics


def discover(
    root: Path,
    *,
    timeout: float = 10.0,
    workers: int = 2,
    openapi: Mapping[str, OpenApiOptions] | None = None,
) -> DiscoveryResult:
    """Scan ``root``, read declared dependencies and load every module (in subprocesses).

    The OpenAPI specs in ``openapi/`` become tools too (``openapi``: per spec, which operations).
    """
    files = scan(root)
    node_files = [f for f in files if f.language != "python" and f.kind in NODE_KINDS]
    diagnostics = unsupported(files)
    declared, python, dep_diagnostics = _read_deps(root, files)
    diagnostics.extend(dep_diagnostics)
    python_files = [f for f in files if f.language == "python"]
    loaded = load_python(root, [f.path for f in python_files], timeout=timeout, workers=workers)
    tools: list[ToolEntry] = []
    resources: list[ResourceEntry] = []
    prompts: list[PromptEntry] = []
    connectors: list[ConnectorEntry] = []
    seeds: list[SeedVersion] = []
    node_loaded, npm, node_diagnostics = _load_node_modules(root, node_files, timeout, workers)
    diagnostics.extend(node_diagnostics)
    api_tools, api_diagnostics = load_openapi(root, openapi)
    tools.extend(api_tools)
    diagnostics.extend(api_diagnostics)
    for f, module in zip([*python_files, *node_files], [*loaded, *node_loaded], strict=True):
        tools.extend(module.tools)
        resources.extend(module.resources)
        prompts.extend(module.prompts)
        connectors.extend(module.connectors)
        diagnostics.extend(module.diagnostics)
        seeds.extend(SeedVersion(f.path, n, v, line) for n, (v, line) in sorted(module.seed_versions.items()))
        empty = _no_definitions(f, module)
        if empty is not None:
            diagnostics.append(empty)
    return DiscoveryResult(
        root=root,
        files=files,
        tools=sorted(tools, key=lambda t: (t.name, t.source.path, t.source.line or 0)),
        resources=sorted(resources, key=lambda r: (r.uri or r.uri_template or "", r.name, r.source.path)),
        prompts=sorted(prompts, key=lambda p: (p.name, p.source.path, p.source.line or 0)),
        connectors=sorted(connectors, key=lambda c: (c.name, c.source.path)),
        requirements=declared,
        requires_python=python,
        seed_versions=seeds,
        diagnostics=ordered(diagnostics),
        npm_dependencies=npm,
    )
