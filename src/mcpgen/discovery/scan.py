"""Find the source files of a workspace (no imports, no execution).

``scan`` walks the drop-in folders (``tools/``, ``connectors/``, ``resources/``,
``prompts/``) recursively and lists every source file in a stable order.
It skips hidden names, names starting with ``_`` (helper modules that tool
files may import, ``__pycache__``) and ``node_modules``. Missing folders are fine.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mcpgen.discovery.diagnostics import Diagnostic, warning
from mcpgen.errors import WorkspaceError

Kind = Literal["tools", "connectors", "resources", "prompts"]
Language = Literal["python", "typescript", "javascript"]

KINDS: tuple[Kind, ...] = ("tools", "connectors", "resources", "prompts")
LANGUAGES: dict[str, Language] = {
    ".py": "python",
    ".ts": "typescript",
    ".mts": "typescript",
    ".js": "javascript",
    ".mjs": "javascript",
}
_SKIP_DIRS = frozenset({"node_modules", "__pycache__"})


@dataclass(frozen=True, slots=True, order=True)
class SourceFile:
    """A source file found in a drop-in folder; ``path`` is workspace-relative (POSIX)."""

    path: str
    kind: Kind
    language: Language

    def absolute(self, root: Path) -> Path:
        return root / Path(self.path)


def _skipped(name: str) -> bool:
    return name.startswith((".", "_")) or name in _SKIP_DIRS


def _walk(root: Path, kind: Kind) -> Iterable[SourceFile]:
    folder = root / kind
    if not folder.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not _skipped(d))
        for filename in filenames:
            if _skipped(filename):
                continue
            language = LANGUAGES.get(Path(filename).suffix)
            if language is None:
                continue
            rel = (Path(dirpath) / filename).relative_to(root).as_posix()
            yield SourceFile(path=rel, kind=kind, language=language)


def scan(root: Path) -> list[SourceFile]:
    """Every source file under the drop-in folders of ``root``, sorted by path."""
    if not root.is_dir():
        raise WorkspaceError(f"workspace {root} is not a directory", path=root)
    return sorted(f for kind in KINDS for f in _walk(root, kind))


NODE_KINDS: frozenset[Kind] = frozenset({"tools", "connectors"})
"""The drop-in folders whose TypeScript/JavaScript files are read (by the Node bridge)."""


def unsupported(files: Iterable[SourceFile]) -> list[Diagnostic]:
    """A warning for each TypeScript/JavaScript file outside ``tools/`` and ``connectors/``."""
    return [
        warning(
            "unsupported-language",
            "TypeScript/JavaScript is supported for tools and connectors only "
            "(put it in tools/ or connectors/); skipped",
            f.path,
        )
        for f in files
        if f.language != "python" and f.kind not in NODE_KINDS
    ]
