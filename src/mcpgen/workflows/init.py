"""``mcpgen init``: plan the files of a new workspace (pure), then write the ones that are missing.

A template is a folder of ``templates/`` (package data): ``common/`` goes into
every workspace, then the chosen template's folder on top (a file of the same
path replaces the common one). Adding a file to a template is dropping it into
its folder; adding a template is adding a folder. In file names a leading
``dot-`` becomes ``.`` (``dot-gitignore`` → ``.gitignore``) and a trailing
``.tmpl`` is dropped (so example tools are not linted as mcpgen's own code);
``{{name}}`` in a file becomes the workspace's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from mcpgen.config.project import default_name
from mcpgen.errors import UsageError

COMMON = "common"
LATER = {"openapi": "an OpenAPI description turned into tools"}
"""Templates that are announced but not built yet, with what they will make."""


def _templates() -> Traversable:
    return files("mcpgen.workflows").joinpath("templates")


def template_names() -> list[str]:
    """The templates ``mcpgen init --template`` offers (``python`` first: the default)."""
    names = sorted(t.name for t in _templates().iterdir() if t.is_dir() and t.name != COMMON)
    return sorted(names, key=lambda name: name != "python")


def _target(rel: PurePosixPath) -> Path:
    parts = [f".{part[4:]}" if part.startswith("dot-") else part for part in rel.parts]
    parts[-1] = parts[-1].removesuffix(".tmpl")
    return Path(*parts)


def _walk(folder: Traversable, rel: PurePosixPath = PurePosixPath()) -> dict[Path, str]:
    found: dict[Path, str] = {}
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.name == "__pycache__":
            continue
        if item.is_dir():
            found.update(_walk(item, rel / item.name))
        else:
            found[_target(rel / item.name)] = item.read_text(encoding="utf-8")
    return found


@dataclass(frozen=True)
class InitResult:
    root: Path
    created: list[Path]
    skipped: list[Path]


def plan_init(root: Path, template: str = "python") -> dict[Path, str]:
    """Files (relative paths) and their contents for a new workspace at ``root`` made from ``template``.

    Raises :class:`UsageError` for a template that does not exist (or not yet).
    """
    if template in LATER:
        raise UsageError(
            f"the {template} template ({LATER[template]}) is not available yet",
            hint=f"choose one of: {', '.join(template_names())}",
        )
    if template not in template_names():
        raise UsageError(f"unknown template {template!r}; choose one of: {', '.join(template_names())}")
    name = default_name(root)
    planned = {**_walk(_templates().joinpath(COMMON)), **_walk(_templates().joinpath(template))}
    return {rel: text.replace("{{name}}", name) for rel, text in planned.items()}


def init_workspace(root: Path, *, force: bool = False, template: str = "python") -> InitResult:
    """Write the planned files; existing files are kept unless ``force``."""
    created: list[Path] = []
    skipped: list[Path] = []
    for rel, text in plan_init(root, template).items():
        target = root / rel
        if target.exists() and not force:
            skipped.append(rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        created.append(rel)
    return InitResult(root=root, created=created, skipped=skipped)
