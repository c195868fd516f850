"""Serve what works: a workspace whose only errors are in optional connectors is served without them.

``mcpgen dev`` and ``mcpgen serve`` call :func:`without_broken_connectors` on a
workspace that does not validate. When every error comes from files in
``connectors/`` (a connector that cannot be imported or described, a bad field
of its metadata, a malformed credential) or from tools that fail *because* such
a connector failed (their import traceback runs through its file, or they
declare it by name), those connectors and tools are left out and the rest is
served. Each left-out problem is kept: the server logs it at start-up and shows
it in ``/health`` (``status: degraded``).

A connector declared required (``required: true`` in its metadata, or
``@connector(..., required=True)``; read from the file's text, since a broken
file may not import at all) is never left out: its problem stops the server as
before. ``mcpgen validate`` and ``mcpgen build`` still report every error.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from mcpgen.discovery.diagnostics import Diagnostic, warning
from mcpgen.validation import Report, validate
from mcpgen.workflows.generate import Generated, manifest_of

CONNECTORS_DIR = "connectors/"
_TS_REQUIRED = re.compile(r"(?m)^\s*required\s*:\s*true\b")


@dataclass(frozen=True)
class Partial:
    """The workspace to serve, and what was left out of it (errors, kept as they were reported)."""

    generated: Generated
    left_out: list[Diagnostic] = field(default_factory=list)


def _python_declares_required(text: str) -> bool:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        func = node.func if isinstance(node, ast.Call) else None
        named = (
            func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        )
        if (
            isinstance(node, ast.Call)
            and named == "connector"
            and any(
                k.arg == "required" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in node.keywords
            )
        ):
            return True  # @connector(..., required=True)
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "metadata" for t in node.targets
        ):
            value = node.value
            if isinstance(value, ast.Dict) and any(
                isinstance(k, ast.Constant)
                and k.value == "required"
                and isinstance(v, ast.Constant)
                and v.value is True
                for k, v in zip(value.keys, value.values, strict=True)
            ):
                return True  # metadata = {..., "required": True}
    return False


def declares_required(path: Path) -> bool:
    """Whether the connector file says it is required (Python: AST; TS/JS: a ``required: true`` line)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    if path.suffix == ".py":
        return _python_declares_required(text)
    return bool(_TS_REQUIRED.search(text))


def without_broken_connectors(gen: Generated) -> Partial:
    """``gen`` itself when it validates or cannot be served in part; else the workspace without the
    optional connectors that fail (and the tools that need them), with a manifest."""
    errors = gen.report.errors
    if not errors:
        return Partial(gen)
    root = gen.project.root
    broken = {
        d.path for d in errors if d.path.startswith(CONNECTORS_DIR) and not declares_required(root / d.path)
    }
    if not broken:
        return Partial(gen)
    result = gen.discovery
    names = {c.name for c in result.connectors if c.source.path in broken}
    names |= {d.name for d in errors if d.path in broken and d.name}
    names |= {PurePosixPath(path).stem for path in broken}
    dependent = {  # tool files whose import went through a broken connector's file
        d.path
        for d in result.diagnostics
        if d.is_error and d.path not in broken and any(p in f"{d.message}\n{d.detail or ''}" for p in broken)
    }
    needing = [t for t in result.tools if set(t.connectors) & names]
    reduced = replace(
        result,
        connectors=[c for c in result.connectors if c.source.path not in broken and c.name not in names],
        tools=[t for t in result.tools if t not in needing],
        diagnostics=[d for d in result.diagnostics if d.path not in broken | dependent],
    )
    report = validate(reduced)
    if not report.ok:
        return Partial(gen)  # other errors remain: nothing is served, every error is reported
    left_out = [d for d in errors if d.path in broken | dependent]
    for tool in needing:
        missing = ", ".join(sorted(set(tool.connectors) & names))
        message = f"tool {tool.name!r} is not served: its connector {missing} failed to load"
        left_out.append(warning("connector-left-out", message, tool.source.path, tool.source.line, tool.name))
    shown = Report.of([*report.diagnostics, *(replace(d, severity="warning") for d in left_out)])
    served = replace(gen, discovery=reduced, report=shown, manifest=manifest_of(gen.project, reduced))
    return Partial(served, left_out)


def public(problems: list[Diagnostic]) -> tuple[dict[str, Any], ...]:
    """What ``/health`` may show of left-out problems: no ``detail`` (a module's own output)."""
    return tuple({k: v for k, v in d.to_data().items() if k != "detail"} for d in problems)
