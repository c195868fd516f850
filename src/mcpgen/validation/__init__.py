"""Validate a discovery result and assemble the manifest.

``validate(result)`` applies every cross-file rule and returns a
:class:`Report` holding the discovery diagnostics plus its own, sorted; it
never stops at the first problem. ``build_manifest`` turns a (valid) result
into a canonical :class:`~mcpgen.manifest.Manifest`.
"""

from __future__ import annotations

from mcpgen.discovery import Diagnostic, DiscoveryResult
from mcpgen.discovery.deps import merge
from mcpgen.validation.assemble import build_manifest
from mcpgen.validation.credentials import merge_credentials
from mcpgen.validation.report import Report
from mcpgen.validation.rules import (
    check_cache,
    check_connectors,
    check_descriptions,
    check_duplicates,
    check_seed_versions,
    check_tool_names,
    tool_name_problems,
)
from mcpgen.validation.schemas import check_tool_schemas, schema_problems

__all__ = [
    "Report",
    "build_manifest",
    "merge_credentials",
    "schema_problems",
    "tool_name_problems",
    "validate",
]


def validate(result: DiscoveryResult) -> Report:
    """Every problem in ``result``: discovery diagnostics plus the cross-file rules."""
    diagnostics: list[Diagnostic] = list(result.diagnostics)
    diagnostics += check_tool_names(result.tools)
    diagnostics += check_duplicates(result.tools, result.resources, result.prompts)
    diagnostics += check_tool_schemas(result.tools)
    diagnostics += check_descriptions(result.tools)
    diagnostics += check_cache(result.tools)
    diagnostics += check_seed_versions(result.seed_versions)
    diagnostics += merge(result.requirements).diagnostics
    diagnostics += check_connectors(result.tools, result.connectors)
    diagnostics += merge_credentials(result.tools, result.connectors)[1]
    return Report.of(diagnostics)
