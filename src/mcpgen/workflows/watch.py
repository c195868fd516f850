"""Change detection for ``mcpgen dev``: ``watchfiles`` when installed, else polling.

``watchfiles`` is in the ``cli`` extra. The image of a server holds the runtime
set only, and ``mcpgen run --dev`` runs the dev server inside it, so there the
same loop polls: every ``interval`` seconds it compares each file's modification
time and size under the watched folders (skipping ``node_modules``, caches and
hidden entries; a dev workspace is small).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

Snapshot = dict[str, tuple[int, int]]


def _skipped(name: str) -> bool:
    return name in ("__pycache__", "node_modules") or name.startswith(".")


def snapshot(paths: list[Path]) -> Snapshot:
    """``path → (mtime_ns, size)`` of every file under ``paths``."""
    files: Snapshot = {}
    for root in paths:
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if not _skipped(d)]
            for name in names:
                if name.startswith("."):
                    continue
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                except OSError:  # gone since the listing
                    continue
                files[path] = (stat.st_mtime_ns, stat.st_size)
    return files


def poll(
    paths: list[Path], stop: threading.Event, interval: float = 0.5, *, since: Snapshot | None = None
) -> Iterator[list[str]]:
    """Each batch of added, changed or removed files (compared with ``since``, default now) until ``stop``."""
    before = snapshot(paths) if since is None else since
    while not stop.wait(interval):
        now = snapshot(paths)
        changed = sorted(p for p in before.keys() | now.keys() if before.get(p) != now.get(p))
        before = now
        if changed:
            yield changed


def changes(paths: list[Path], stop: threading.Event) -> Iterator[list[str]]:
    """Batches of changed paths under ``paths`` until ``stop`` is set."""
    try:
        import watchfiles
    except ModuleNotFoundError:  # the runtime set without the cli extra: `mcpgen run --dev` in an image
        yield from poll(paths, stop)
        return
    for batch in watchfiles.watch(*paths, stop_event=stop, debounce=300, step=100, raise_interrupt=False):
        yield [path for _, path in batch]
