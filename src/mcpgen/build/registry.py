"""This project's images: listing and which ones ``mcpgen images --prune KEEP`` removes (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from mcpgen.build.docker_engine import ImageInfo
from mcpgen.errors import UsageError

PROJECT_LABEL = "io.mcpgen.project"


def project_filter(project: str) -> str:
    """The label filter that finds a project's images."""
    return f"{PROJECT_LABEL}={project}"


def newest_first(images: Sequence[ImageInfo]) -> list[ImageInfo]:
    """Sorted by creation time (ISO strings sort in time order), newest first; ties by id."""
    return sorted(images, key=lambda i: (i.created, i.id), reverse=True)


def select_prune(images: Sequence[ImageInfo], keep: int) -> list[ImageInfo]:
    """The images to remove so that only the newest ``keep`` remain."""
    if keep < 0:
        raise UsageError(f"--prune needs a number of images to keep (0 or more), not {keep}")
    return newest_first(images)[keep:]
