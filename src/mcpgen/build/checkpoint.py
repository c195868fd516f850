"""Build checkpoints in ``.mcpgen/build/checkpoint.json``: what the last build finished, by content hash.

``inputs`` fingerprints the workspace (source files, ``mcpgen.yaml``, config
and the build options); ``context`` is :func:`mcpgen.build.context.context_hash`
of the rendered context; ``image`` the image id built from it; ``completed``
the names of the steps that finished, in order (written after each step).
``--resume`` with unchanged inputs takes the results of finished steps that
survive on disk instead of running them again; an unchanged workspace never
rebuilds at all when its image still exists.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import orjson


@dataclass
class Checkpoint:
    inputs: str = ""
    context: str = ""
    image: str = ""
    tags: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)


def inputs_hash(root: Path, files: list[str], options: object) -> str:
    """SHA-256 over the given workspace files' paths and bytes plus ``repr(options)``."""
    digest = hashlib.sha256(repr(options).encode())
    for rel in sorted(files):
        path = root / rel
        data = path.read_bytes() if path.is_file() else b""
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def load_checkpoint(path: Path) -> Checkpoint:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return Checkpoint()
    if not isinstance(data, dict):
        return Checkpoint()

    def text(key: str) -> str:
        value = data.get(key)
        return value if isinstance(value, str) else ""

    def names(key: str) -> list[str]:
        value = data.get(key)
        return list(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else []

    return Checkpoint(
        inputs=text("inputs"),
        context=text("context"),
        image=text("image"),
        tags=names("tags"),
        completed=names("completed"),
    )


def save_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps(asdict(checkpoint), option=orjson.OPT_INDENT_2))
    tmp.replace(path)
