"""Cross-file rules on discovered entries: names, duplicates, descriptions, seed versions (pure)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from mcpgen.discovery import Diagnostic, SeedVersion
from mcpgen.discovery.diagnostics import error, warning
from mcpgen.manifest import (
    SUPPORTED_SCHEMA_VERSIONS,
    ConnectorEntry,
    PromptEntry,
    ResourceEntry,
    SourceRef,
    ToolEntry,
)

TOOL_NAME = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
"""MCP tool names (SEP-986): 1–128 characters of ASCII letters, digits, ``_``, ``-`` and ``.``."""

E = TypeVar("E", ToolEntry, PromptEntry, ResourceEntry, ConnectorEntry)


def _at(source: SourceRef) -> str:
    return f"{source.path}:{source.line}" if source.line is not None else source.path


def tool_name_problems(name: str) -> tuple[list[str], list[str]]:
    """(errors, warnings) for one tool name, following the MCP naming rule."""
    if not name:
        return ["tool name is empty"], []
    if len(name) > 128:
        return [f"tool name is {len(name)} characters long; the limit is 128"], []
    if not TOOL_NAME.match(name):
        bad = "".join(dict.fromkeys(c for c in name if not TOOL_NAME.match(c)))
        return [f"tool name {name!r} has characters {bad!r}; allowed are A-Z a-z 0-9 _ - ."], []
    if name[0] in "-." or name[-1] in "-.":
        return [], [f"tool name {name!r} starts or ends with '-' or '.', which some clients mishandle"]
    return [], []


def check_tool_names(tools: Iterable[ToolEntry]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for t in tools:
        errors, warnings = tool_name_problems(t.name)
        where = (t.source.path, t.source.line, t.name)
        found.extend(error("invalid-name", e, *where) for e in errors)
        found.extend(warning("tool-name-style", w, *where) for w in warnings)
    return found


def _duplicates(
    entries: Sequence[E], key: Callable[[E], str | None], what: str, code: str
) -> list[Diagnostic]:
    """One error for every entry after the first that shares ``key``, naming both places."""
    groups: dict[str, list[E]] = defaultdict(list)
    for entry in entries:
        value = key(entry)
        if value is not None:
            groups[value].append(entry)
    found: list[Diagnostic] = []
    for value, group in sorted(groups.items()):
        group = sorted(group, key=lambda e: (e.source.path, e.source.line or 0))
        first = group[0]
        for other in group[1:]:
            message = f"{what} {value!r} is defined twice: {_at(first.source)} and {_at(other.source)}"
            found.append(error(code, message, other.source.path, other.source.line, other.name))
    return found


def check_duplicates(
    tools: Sequence[ToolEntry], resources: Sequence[ResourceEntry], prompts: Sequence[PromptEntry]
) -> list[Diagnostic]:
    return [
        *_duplicates(tools, lambda t: t.name, "tool name", "duplicate-name"),
        *_duplicates(prompts, lambda p: p.name, "prompt name", "duplicate-name"),
        *_duplicates(resources, lambda r: r.uri, "resource URI", "duplicate-uri"),
        *_duplicates(resources, lambda r: r.uri_template, "resource URI template", "duplicate-uri"),
    ]


def check_descriptions(tools: Iterable[ToolEntry]) -> list[Diagnostic]:
    return [
        warning(
            "missing-description",
            f"tool {t.name!r} has no description (add a docstring); clients show it to the model",
            t.source.path,
            t.source.line,
            t.name,
        )
        for t in tools
        if not t.description.strip()
    ]


def check_cache(tools: Iterable[ToolEntry]) -> list[Diagnostic]:
    """A ``cache_ttl``/``cacheTtl`` on a tool not marked read-only is ignored at run time: say so."""
    return [
        warning(
            "cache-not-read-only",
            f"tool {t.name!r} sets a cache ttl but is not marked readOnlyHint: true; its results are "
            "not cached (mark it read-only, or force it: tools.<name>.cache.force in the config)",
            t.source.path,
            t.source.line,
            t.name,
        )
        for t in tools
        if t.cache_ttl is not None and not (t.annotations or {}).get("readOnlyHint")
    ]


def check_seed_versions(seeds: Iterable[SeedVersion]) -> list[Diagnostic]:
    supported = ", ".join(sorted(SUPPORTED_SCHEMA_VERSIONS))
    return [
        error(
            "unsupported-schema-version",
            f"tool {s.name!r} declares schemaVersion {s.version!r}; this mcpgen supports {supported}",
            s.path,
            s.line,
            s.name,
        )
        for s in seeds
        if s.version not in SUPPORTED_SCHEMA_VERSIONS
    ]


def check_connectors(tools: Sequence[ToolEntry], connectors: Sequence[ConnectorEntry]) -> list[Diagnostic]:
    """Connector names are unique, connectors live in ``connectors/``, and tools use only known ones."""
    found = _duplicates(connectors, lambda c: c.name, "connector name", "duplicate-connector")
    for c in connectors:
        if not c.source.path.startswith("connectors/"):
            found.append(
                error(
                    "connector-location",
                    f"connector {c.name!r} is defined outside connectors/; move it to connectors/ "
                    "(tools import it from there: from connectors.<module> import <Class>)",
                    c.source.path,
                    c.source.line,
                    c.name,
                )
            )
    known = {c.name for c in connectors}
    language = {c.name: c.entrypoint.language for c in connectors}
    for t in tools:
        for name in t.connectors:
            if name in known and (language[name] == "python") != (t.entrypoint.language == "python"):
                message = (
                    f"tool {t.name!r} uses connector {name!r}, which is written in {language[name]}: "
                    "Python tools use Python connectors, TS/JS tools use TS/JS connectors"
                )
                found.append(error("connector-language", message, t.source.path, t.source.line, t.name))
            if name not in known:
                hint = f"; known: {', '.join(sorted(known))}" if known else "; connectors/ defines none"
                message = (
                    f"tool {t.name!r} uses connector {name!r}, which no module in connectors/ defines{hint}"
                )
                found.append(error("unknown-connector", message, t.source.path, t.source.line, t.name))
    return found
