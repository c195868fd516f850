"""Manifest entries from what a loader found, built the same way for Python and TS/JS (pure).

Both loaders describe a tool in one language-neutral shape, mcpgen's tool
metadata: ``name``, ``description``, ``inputSchema`` and optionally
``title``, ``outputSchema``, ``annotations``, ``timeout``, ``tags``,
``connectors`` and ``credentials`` (names, or objects read by
:meth:`Credential.from_data <mcpgen.authoring.Credential.from_data>`). It is
what a TS/JS module exports as ``metadata`` and a Python seed module declares;
the discovery worker writes decorated Python tools in it as well
(:func:`mcpgen.discovery.describe.tool_spec`). :func:`tool_entry` turns it into
a :class:`~mcpgen.manifest.ToolEntry`, so every language gets the same checks:
a credential's ``when=`` is kept, its ``pattern`` must compile, and each
problem is a diagnostic naming the file, line, tool and credential.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from mcpgen.authoring import Credential, DefinitionError
from mcpgen.discovery.diagnostics import Diagnostic, error
from mcpgen.manifest import ConnectorEntry, Entrypoint, SourceRef, ToolEntry


def credentials(raw: object, where: str, *, more: Iterable[Credential] = ()) -> list[Credential]:
    """The credentials a metadata ``credentials`` list declares, then ``more`` (first declaration of a name wins)."""
    if raw is None:
        raw = []
    if not isinstance(raw, list | tuple):
        raise DefinitionError(
            f"{where}: credentials must be a list of names or objects with a 'name', got {raw!r}"
        )
    found: dict[str, Credential] = {}
    for c in [*(Credential.from_data(item, where) for item in raw), *more]:
        found.setdefault(c.name, c)
    return list(found.values())


def optional(creds: Iterable[Credential], required: bool) -> list[Credential]:
    """An optional connector's credentials are optional too (it may run without them)."""
    return [c if required else replace(c, required=False) for c in creds]


def credential_problems(entry: ToolEntry | ConnectorEntry) -> list[Diagnostic]:
    """One ``invalid-credential`` diagnostic per problem of a credential ``entry`` declares."""
    what = "tool" if isinstance(entry, ToolEntry) else "connector"
    return [
        error(
            "invalid-credential",
            f"{what} {entry.name!r}: credential {c.name!r}: {problem}",
            entry.source.path,
            entry.source.line,
            entry.name,
        )
        for c in entry.credentials
        for problem in c.problems()
    ]


def _timeout(raw: object) -> float | None:
    return float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None


def tool_entry(
    meta: Mapping[str, Any],
    entrypoint: Entrypoint,
    line: int | None,
    *,
    more_credentials: Sequence[Credential] = (),
) -> tuple[ToolEntry | None, list[Diagnostic]]:
    """The manifest entry of one tool described by ``meta``, or None and the diagnostics saying why.

    ``entrypoint.path`` is the tool's file; ``line`` the line its definition
    starts on, when known. ``more_credentials`` are declared elsewhere in the
    file (JSDoc ``@requires-credential`` tags) and count for names ``meta``
    does not declare.
    """
    path = entrypoint.path
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        return None, [error("definition-error", "tool metadata has no 'name'", path, line)]
    try:
        entry = ToolEntry(
            name=name,
            title=meta.get("title"),
            description=str(meta.get("description") or ""),
            input_schema=meta.get("inputSchema"),
            output_schema=meta.get("outputSchema"),
            annotations=meta.get("annotations"),
            timeout=_timeout(meta.get("timeout")),
            cache_ttl=_timeout(meta.get("cacheTtl")),
            tags=sorted(str(t) for t in meta.get("tags") or []),
            credentials=credentials(meta.get("credentials"), f"tool {name!r}", more=more_credentials),
            connectors=sorted({str(c) for c in meta.get("connectors") or []}),
            entrypoint=entrypoint,
            source=SourceRef(path=path, line=line),
        )
    except DefinitionError as exc:
        return None, [error("definition-error", str(exc), path, line, name)]
    except (ValidationError, ValueError, TypeError) as exc:
        return None, [error("definition-error", f"tool {name!r}: invalid metadata: {exc}", path, line, name)]
    problems = credential_problems(entry)
    return (None, problems) if problems else (entry, [])


def checked_connectors(entries: Iterable[ConnectorEntry]) -> tuple[list[ConnectorEntry], list[Diagnostic]]:
    """The connectors whose credentials have no problem, and a diagnostic per problem of the others."""
    kept: list[ConnectorEntry] = []
    diagnostics: list[Diagnostic] = []
    for entry in entries:
        problems = credential_problems(entry)
        diagnostics += problems
        if not problems:
            kept.append(entry)
    return kept, diagnostics
