"""Merge credential declarations across modules into one requirement per name (pure).

Several modules may declare the same credential. The merged requirement is
required if any module requires it; its descriptions are the distinct
non-empty descriptions joined with ``"; "``; ``declared_by`` lists the module
paths, sorted. ``kind`` ``"secret"`` is the generic default (a ``:credential:``
docstring directive cannot name a kind), so it yields to a specific kind;
two different specific kinds are a ``credential-conflict`` error.
Credentials whose ``when=`` conditions name each other in a ring (``A`` when
``B=x``, ``B`` when ``A=y``; or ``A`` when ``A=x``) can never be asked for: a
``credential-cycle`` error names them and where each is declared.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mcpgen.authoring.credentials import CREDENTIAL_NAME
from mcpgen.discovery import Diagnostic
from mcpgen.discovery.diagnostics import error, warning
from mcpgen.manifest import ConnectorEntry, CredentialRef, CredentialRequirement, ToolEntry, parse_when

GENERIC_KIND = "secret"


@dataclass(frozen=True, slots=True)
class _Declaration:
    path: str
    line: int | None
    ref: CredentialRef

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path


def _declarations(
    tools: Iterable[ToolEntry], connectors: Iterable[ConnectorEntry]
) -> dict[str, list[_Declaration]]:
    groups: dict[str, list[_Declaration]] = defaultdict(list)
    entries: list[ToolEntry | ConnectorEntry] = [*tools, *connectors]
    for entry in entries:
        for ref in entry.credentials:
            groups[ref.name].append(_Declaration(entry.source.path, entry.source.line, ref))
    for group in groups.values():
        group.sort(key=lambda d: (d.path, d.line or 0))
    return groups


def _merge_one(name: str, group: Sequence[_Declaration]) -> tuple[CredentialRequirement, list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    specific: dict[str, _Declaration] = {}
    for d in group:
        if d.ref.kind != GENERIC_KIND:
            specific.setdefault(d.ref.kind, d)
    kinds = sorted(specific.values(), key=lambda d: (d.path, d.line or 0))
    for other in kinds[1:]:
        first = kinds[0]
        diagnostics.append(
            error(
                "credential-conflict",
                f"credential {name!r} is declared with kind {first.ref.kind!r} in {first.where} "
                f"and with kind {other.ref.kind!r} in {other.where}",
                other.path,
                other.line,
                name,
            )
        )
    if not CREDENTIAL_NAME.match(name):
        head = group[0]
        diagnostics.append(
            warning(
                "credential-name",
                f"credential {name!r} is not UPPER_SNAKE_CASE (it is delivered as an environment variable)",
                head.path,
                head.line,
                name,
            )
        )
    descriptions = dict.fromkeys(d.ref.description.strip() for d in group if d.ref.description.strip())
    for attribute in ("pattern", "choices", "when"):
        declared = [d for d in group if getattr(d.ref, attribute) is not None]
        for other in declared[1:]:
            if getattr(other.ref, attribute) != getattr(declared[0].ref, attribute):
                diagnostics.append(
                    error(
                        "credential-conflict",
                        f"credential {name!r} is declared with {attribute} {getattr(declared[0].ref, attribute)!r} "
                        f"in {declared[0].where} and {getattr(other.ref, attribute)!r} in {other.where}",
                        other.path,
                        other.line,
                        name,
                    )
                )
    first_of = {
        attribute: next(
            (getattr(d.ref, attribute) for d in group if getattr(d.ref, attribute) is not None), None
        )
        for attribute in ("pattern", "choices", "when")
    }
    credential = CredentialRequirement(
        name=name,
        kind=kinds[0].ref.kind if kinds else GENERIC_KIND,
        required=any(d.ref.required for d in group),
        description="; ".join(descriptions),
        pattern=first_of["pattern"],
        choices=first_of["choices"],
        when=first_of["when"],
        declared_by=tuple(sorted({d.path for d in group})),
    )
    return credential, diagnostics


def merge_credentials(
    tools: Iterable[ToolEntry], connectors: Iterable[ConnectorEntry] = ()
) -> tuple[list[CredentialRequirement], list[Diagnostic]]:
    """One :class:`~mcpgen.manifest.CredentialRequirement` per name (sorted), and the conflicts found."""
    credentials: list[CredentialRequirement] = []
    diagnostics: list[Diagnostic] = []
    groups = _declarations(tools, connectors)
    for name, group in sorted(groups.items()):
        credential, problems = _merge_one(name, group)
        credentials.append(credential)
        diagnostics.extend(problems)
    diagnostics.extend(_cycle_error(cycle, groups) for cycle in when_cycles(credentials))
    return credentials, diagnostics


def when_cycles(credentials: Iterable[CredentialRequirement]) -> list[list[str]]:
    """Each ring of ``when=`` conditions, as names in condition order starting from the smallest."""
    parent = {}
    for credential in credentials:
        condition = parse_when(credential.when)
        if condition is not None:
            parent[credential.name] = condition[0]
    cycles: list[list[str]] = []
    done: set[str] = set()
    for start in sorted(parent):
        path: list[str] = []
        name: str | None = start
        while name is not None and name not in done and name not in path:
            path.append(name)
            name = parent.get(name)
        done.update(path)
        if name is not None and name in path:
            ring = path[path.index(name) :]
            first = ring.index(min(ring))
            cycles.append(ring[first:] + ring[:first])
    return cycles


def _cycle_error(cycle: Sequence[str], groups: dict[str, list[_Declaration]]) -> Diagnostic:
    def declared(name: str) -> _Declaration:
        return next((d for d in groups[name] if d.ref.when is not None), groups[name][0])

    steps = " → ".join(f"{name} (when {declared(name).ref.when!r}, {declared(name).where})" for name in cycle)
    head = declared(cycle[0])
    return error(
        "credential-cycle",
        f"credentials {', '.join(cycle)} form a when= cycle, so none of them is ever asked for: "
        f"{steps} → {cycle[0]}",
        head.path,
        head.line,
        cycle[0],
    )
