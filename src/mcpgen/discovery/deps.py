"""Declared dependencies: PEP 723 blocks, ``tools/requirements.txt``, and their merge (pure).

Each Python module may declare its own requirements in an inline script
metadata block (PEP 723), read from the file *text*, never by importing it::

    # /// script
    # requires-python = ">=3.11"
    # dependencies = ["httpx>=0.27", "rich"]
    # ///

The project may also list shared requirements in ``tools/requirements.txt``.
``merge`` combines every declared requirement into one sorted list of PEP 508
strings (one per project and marker) and reports conflicts.

Conflict detection
------------------
Requirements for one project (same canonical name and marker) are merged by
intersecting their specifier sets. Whether an intersection can be satisfied is
decided by testing *candidate versions*: ``0``, every version named in a
specifier, the version "just above" it (its release padded with zeros to one
component longer than any named version, then ``.1``, e.g. ``1.0`` →
``1.0.0.1``), its "next" release (last component + 1) and one major version
above them all. Every specifier other than ``===`` accepts a union of intervals
whose endpoints are named versions, so a non-empty intersection contains an
endpoint, the point just above one, or (for ``!=X.*``) the next release:
finding no candidate means a real conflict for release versions. Pre-releases
are accepted while testing (a pre-release *can* satisfy a requirement); exotic
combinations of pre/post/local segments may be reported conservatively.
``===`` (arbitrary equality) is never reported as a conflict.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from mcpgen.discovery.diagnostics import Diagnostic, error, warning

# The reference regular expression from PEP 723.
_BLOCK = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")
_TOML_LINE = re.compile(r"at line (\d+)")
REQUIREMENTS_TXT = "tools/requirements.txt"


@dataclass(frozen=True, slots=True)
class Declared:
    """One requirement as a module (or requirements.txt) declares it."""

    path: str
    line: int | None
    requirement: Requirement

    def __str__(self) -> str:
        return str(self.requirement)


@dataclass
class FileDeps:
    """What one file declares: its requirements and ``requires-python`` (when given)."""

    requirements: list[Declared] = field(default_factory=list)
    requires_python: str | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _line_of(text: str, needle: str, first: int, last: int) -> int:
    """1-based number of the first line in [first, last] containing ``needle`` (else ``first``)."""
    lines = text.splitlines()
    for number in range(first, min(last, len(lines)) + 1):
        if needle in lines[number - 1]:
            return number
    return first


def _parse_requirement(raw: str, path: str, line: int | None) -> Declared | Diagnostic:
    try:
        return Declared(path, line, Requirement(raw))
    except InvalidRequirement as exc:
        return error("invalid-requirement", f"invalid requirement {raw!r}: {exc}", path, line)


def read_script_deps(path: str, text: str) -> FileDeps:
    """Parse the PEP 723 ``script`` block of a file's text (no block: nothing declared)."""
    found = FileDeps()
    blocks = [m for m in _BLOCK.finditer(text) if m.group("type") == "script"]
    if not blocks:
        return found
    block = blocks[0]
    start = text.count("\n", 0, block.start()) + 1
    end = text.count("\n", 0, block.end()) + 1
    if len(blocks) > 1:
        second = text.count("\n", 0, blocks[1].start()) + 1
        found.diagnostics.append(
            error(
                "invalid-metadata",
                f"more than one '# /// script' block (first at line {start})",
                path,
                second,
            )
        )
        return found
    content = "".join(
        line[2:] if line.startswith("# ") else line[1:]
        for line in block.group("content").splitlines(keepends=True)
    )
    try:
        data = tomllib.loads(content)
    except tomllib.TOMLDecodeError as exc:
        where = _TOML_LINE.search(str(exc))
        line = start + int(where.group(1)) if where else start
        found.diagnostics.append(
            error("invalid-metadata", f"invalid TOML in the script block: {exc}", path, line)
        )
        return found
    deps = data.get("dependencies", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        line = _line_of(text, "dependencies", start, end)
        found.diagnostics.append(
            error("invalid-metadata", "'dependencies' must be a list of requirement strings", path, line)
        )
        deps = []
    for raw in deps:
        parsed = _parse_requirement(raw, path, _line_of(text, raw, start, end))
        if isinstance(parsed, Diagnostic):
            found.diagnostics.append(parsed)
        else:
            found.requirements.append(parsed)
    python = data.get("requires-python")
    if python is not None:
        found.diagnostics.extend(_check_python(python, path, _line_of(text, "requires-python", start, end)))
        if isinstance(python, str):
            found.requires_python = python
    return found


def _check_python(spec: object, path: str, line: int) -> list[Diagnostic]:
    if not isinstance(spec, str):
        return [error("invalid-metadata", "'requires-python' must be a string", path, line)]
    try:
        specifiers = SpecifierSet(spec)
    except InvalidSpecifier as exc:
        return [error("invalid-metadata", f"invalid requires-python {spec!r}: {exc}", path, line)]
    running = ".".join(str(n) for n in sys.version_info[:3])
    if not specifiers.contains(running, prereleases=True):
        return [
            warning(
                "python-version",
                f"requires-python {spec!r} excludes the Python running discovery ({running})",
                path,
                line,
            )
        ]
    return []


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """(first line number, text) per logical line: comments dropped, ``\\`` continuations joined."""
    pending: list[str] = []
    first = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not pending:
            first = number
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        joined = " ".join(p.strip() for p in pending).strip()
        pending = []
        if joined:
            yield first, joined
    if pending and (joined := " ".join(p.strip() for p in pending).strip()):
        yield first, joined


def read_requirements_txt(text: str, path: str = REQUIREMENTS_TXT) -> FileDeps:
    """Parse a requirements file: one PEP 508 requirement per line; pip options are ignored with a warning."""
    found = FileDeps()
    for number, line in _logical_lines(text):
        if line.startswith("-"):
            found.diagnostics.append(
                warning("requirements-option", f"pip option {line.split()[0]!r} is ignored", path, number)
            )
            continue
        parsed = _parse_requirement(line, path, number)
        if isinstance(parsed, Diagnostic):
            found.diagnostics.append(parsed)
        else:
            found.requirements.append(parsed)
    return found


def _candidates(specs: Sequence[Specifier]) -> list[Version]:
    named: list[Version] = []
    for spec in specs:
        text = spec.version.removesuffix(".*")
        try:
            named.append(Version(text))
        except InvalidVersion:
            continue
    width = max((len(v.release) for v in named), default=1) + 1
    found = {Version("0"), Version("0." + "0." * (width - 2) + "1")}
    for v in named:
        release = list(v.release)
        padded = release + [0] * (width - 1 - len(release))
        bumped = [*release[:-1], release[-1] + 1]
        found.add(v)
        found.add(Version(f"{v.epoch}!" + ".".join(map(str, [*padded, 1]))))
        found.add(Version(f"{v.epoch}!" + ".".join(map(str, bumped))))
    top = max((v.release[0] for v in named), default=0) + 1
    found.add(Version(str(top)))
    return sorted(found)


def satisfiable(specifiers: SpecifierSet) -> bool:
    """Whether some version can satisfy every specifier (see the module docstring)."""
    specs = list(specifiers)
    if any(s.operator == "===" for s in specs):
        return True
    return any(specifiers.contains(c, prereleases=True) for c in _candidates(specs))


@dataclass
class Merged:
    requirements: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _where(d: Declared) -> str:
    return f"{d.path}:{d.line}" if d.line is not None else d.path


def _conflict(name: str, group: Sequence[Declared]) -> Diagnostic:
    last = group[-1]
    if len(group) == 1:
        message = f"{name}: {str(last.requirement)!r} can never be satisfied"
    else:
        parts = [f"{_where(d)} requires {str(d.requirement)!r}" for d in group]
        message = (
            f"dependency conflict for {name}: " + ", but ".join(parts) + "; no version satisfies all of them"
        )
    return error("dependency-conflict", message, last.path, last.line, name)


def _conflicts(name: str, group: Sequence[Declared]) -> list[Diagnostic]:
    found = [_conflict(name, [d]) for d in group if not satisfiable(d.requirement.specifier)]
    bad = {id(d) for d in group if not satisfiable(d.requirement.specifier)}
    ok = [d for d in group if id(d) not in bad]
    for a, b in combinations(ok, 2):
        if not satisfiable(a.requirement.specifier & b.requirement.specifier):
            found.append(_conflict(name, [a, b]))
    urls = sorted({d.requirement.url for d in ok if d.requirement.url})
    if len(urls) > 1:
        with_url = [d for d in ok if d.requirement.url]
        found.append(_conflict(name, with_url))
    if not found and len(ok) > 2:
        combined = SpecifierSet()
        for d in ok:
            combined &= d.requirement.specifier
        if not satisfiable(combined):
            found.append(_conflict(name, ok))
    return found


def _merged_string(name: str, group: Sequence[Declared]) -> str:
    extras = sorted({e for d in group for e in d.requirement.extras})
    marker = group[0].requirement.marker
    url = next((d.requirement.url for d in group if d.requirement.url), None)
    text = name + (f"[{','.join(extras)}]" if extras else "")
    if url:
        text += f" @ {url}"
    else:
        combined = SpecifierSet()
        for d in group:
            combined &= d.requirement.specifier
        text += str(combined)
    if marker is not None:
        text += ("; " if not url else " ; ") + str(marker)
    return str(Requirement(text))


def merge(declared: Iterable[Declared]) -> Merged:
    """Merge requirements per (canonical name, marker); report every conflict with both sides."""
    groups: dict[tuple[str, str], list[Declared]] = defaultdict(list)
    for d in declared:
        marker = str(d.requirement.marker) if d.requirement.marker is not None else ""
        groups[(canonicalize_name(d.requirement.name), marker)].append(d)
    result = Merged()
    for (name, _marker), group in sorted(groups.items()):
        group.sort(key=lambda d: (d.path, d.line or 0, str(d.requirement)))
        result.diagnostics.extend(_conflicts(name, group))
        result.requirements.append(_merged_string(name, group))
    return result
