"""The workspace a user works in: its root folder, its ``mcpgen.yaml`` and its ``.mcpgen/`` state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mcpgen.config.project import PROJECT_FILE, ProjectFile, load_project_file
from mcpgen.errors import WorkspaceError

STATE_DIR = ".mcpgen"
SOURCE_DIRS = ("tools", "connectors", "resources", "prompts")


@dataclass(frozen=True)
class Project:
    root: Path
    file: ProjectFile
    """What ``mcpgen.yaml`` says (its defaults when there is none)."""

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def manifest_path(self) -> Path:
        return self.state_dir / "manifest.json"

    @property
    def has_project_file(self) -> bool:
        return (self.root / PROJECT_FILE).is_file()

    def watch_paths(self) -> list[Path]:
        """Folders (and the project file) whose changes trigger a reload in ``mcpgen dev``."""
        paths = [self.root / d for d in (*SOURCE_DIRS, "openapi") if (self.root / d).is_dir()]
        if self.has_project_file:
            paths.append(self.root / PROJECT_FILE)
        return paths


def load_project(root: Path) -> Project:
    """The workspace at ``root`` with its ``mcpgen.yaml`` (optional: the folder name is the default name)."""
    if not root.exists():
        raise WorkspaceError(
            f"workspace {root} does not exist (create one with `mcpgen init {root}`)", path=root
        )
    if not root.is_dir():
        raise WorkspaceError(f"workspace {root} is not a directory", path=root)
    return Project(root=root, file=load_project_file(root))
