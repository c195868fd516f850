"""Split a docstring into a description and per-parameter descriptions (Google and NumPy style)."""

from __future__ import annotations

import inspect
import itertools
import re
from dataclasses import dataclass, field

from mcpgen.authoring.credentials import strip_directives

_GOOGLE_SECTIONS = {
    "args",
    "arguments",
    "parameters",
    "params",
    "returns",
    "return",
    "yields",
    "raises",
    "examples",
    "example",
    "notes",
    "note",
    "see also",
    "attributes",
}
_GOOGLE_PARAM_SECTIONS = {"args", "arguments", "parameters", "params"}
_GOOGLE_HEADER = re.compile(r"^([A-Za-z ]+):\s*$")
_GOOGLE_ITEM = re.compile(r"^(\*{0,2}[A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_NUMPY_UNDERLINE = re.compile(r"^-{3,}\s*$")
_NUMPY_ITEM = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*(.*))?$")


@dataclass
class Docstring:
    description: str = ""
    params: dict[str, str] = field(default_factory=dict)


def parse(doc: str | None) -> Docstring:
    """Parse ``doc``; unknown layouts give the whole text as description."""
    if not doc:
        return Docstring()
    text = inspect.cleandoc(strip_directives(doc))
    lines = text.splitlines()
    numpy = _parse_numpy(lines)
    if numpy is not None:
        return numpy
    return _parse_google(lines)


def _join(parts: list[str]) -> str:
    return " ".join(p.strip() for p in parts if p.strip())


def _parse_google(lines: list[str]) -> Docstring:
    result = Docstring()
    desc: list[str] = []
    section: str | None = None
    current: str | None = None
    buffer: list[str] = []
    item_indent: int | None = None

    def flush() -> None:
        nonlocal current, buffer
        if current is not None:
            result.params[current.lstrip("*")] = _join(buffer)
        current, buffer = None, []

    for line in lines:
        header = _GOOGLE_HEADER.match(line)
        if header and header.group(1).strip().lower() in _GOOGLE_SECTIONS and not line.startswith(" "):
            flush()
            section = header.group(1).strip().lower()
            item_indent = None
            continue
        if section is None:
            desc.append(line)
            continue
        if section not in _GOOGLE_PARAM_SECTIONS:
            continue
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if item_indent is None:
            item_indent = indent
        item = _GOOGLE_ITEM.match(line.strip())
        if indent <= item_indent and item:
            flush()
            current = item.group(1)
            buffer = [item.group(3)]
        elif current is not None:
            buffer.append(line)
    flush()
    result.description = "\n".join(desc).strip()
    return result


def _parse_numpy(lines: list[str]) -> Docstring | None:
    headers = [
        i
        for i in range(len(lines) - 1)
        if _NUMPY_UNDERLINE.match(lines[i + 1]) and lines[i].strip() and not lines[i].startswith(" ")
    ]
    if not headers:
        return None
    result = Docstring(description="\n".join(lines[: headers[0]]).strip())
    bounds = [*headers, len(lines)]
    for start, end in itertools.pairwise(bounds):
        name = lines[start].strip().lower()
        if name not in ("parameters", "params", "arguments", "args", "other parameters"):
            continue
        current: str | None = None
        buffer: list[str] = []
        for line in lines[start + 2 : end]:
            if line and not line.startswith(" "):
                item = _NUMPY_ITEM.match(line.strip())
                if item:
                    if current is not None:
                        result.params[current] = _join(buffer)
                    current, buffer = item.group(1), []
                    continue
            if current is not None:
                buffer.append(line)
        if current is not None:
            result.params[current] = _join(buffer)
    return result
