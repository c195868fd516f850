"""The workspace a user works in: its root folder and ``mcpgen.yaml``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from mcpgen.errors import WorkspaceError

PROJECT_FILE = "mcpgen.yaml"
STATE_DIR = ".mcpgen"
SOURCE_DIRS = ("tools", "connectors", "resources", "prompts")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_KNOWN_KEYS = {"name", "version", "description", "instructions", "build"}


@dataclass(frozen=True)
class Project:
    root: Path
    name: str
    version: str = "0.1.0"
    description: str = ""
    instructions: str | None = None

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def manifest_path(self) -> Path:
        return self.state_dir / "manifest.json"

    def watch_paths(self) -> list[Path]:
        """Folders (and the project file) whose changes trigger a reload in ``mcpgen dev``."""
        paths = [self.root / d for d in SOURCE_DIRS if (self.root / d).is_dir()]
        if (self.root / PROJECT_FILE).is_file():
            paths.append(self.root / PROJECT_FILE)
        return paths


def _default_name(root: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", root.resolve().name).strip("-.") or "mcp-server"
    return name[:64]


def load_project(root: Path) -> Project:
    """Read ``root/mcpgen.yaml`` (optional: without it the folder name is the server name)."""
    if not root.exists():
        raise WorkspaceError(
            f"workspace {root} does not exist (create one with `mcpgen init {root}`)", path=root
        )
    if not root.is_dir():
        raise WorkspaceError(f"workspace {root} is not a directory", path=root)
    file = root / PROJECT_FILE
    if not file.is_file():
        return Project(root=root, name=_default_name(root))
    try:
        data: Any = YAML(typ="safe", pure=True).load(file.read_text(encoding="utf-8"))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(file)
        raise WorkspaceError(f"{where}: invalid YAML: {exc.problem}", path=file) from exc
    except (YAMLError, OSError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"{file}: cannot read: {exc}", path=file) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise WorkspaceError(f"{file}: expected a mapping with name/version/description", path=file)
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise WorkspaceError(
            f"{file}: unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(_KNOWN_KEYS))}",
            path=file,
        )
    name = str(data.get("name") or _default_name(root))
    if not _NAME.match(name):
        raise WorkspaceError(
            f"{file}: name {name!r} must be 1-64 characters of letters, digits, '_', '.', '-'", path=file
        )
    instructions = data.get("instructions")
    return Project(
        root=root,
        name=name,
        version=str(data.get("version") or "0.1.0"),
        description=str(data.get("description") or ""),
        instructions=str(instructions) if instructions else None,
    )
