"""The dev loop's change detection when watchfiles is not installed (polling)."""

from __future__ import annotations

import threading
from pathlib import Path

from mcpgen.workflows.watch import poll, snapshot


def test_snapshot_skips_node_modules_caches_and_hidden_entries(tmp_path: Path) -> None:
    for name in ("tools/a.py", "tools/node_modules/x/index.js", "tools/__pycache__/a.pyc", "tools/.b.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert list(snapshot([tmp_path / "tools"])) == [str(tmp_path / "tools" / "a.py")]


def test_poll_reports_added_changed_and_removed_files(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    (tools / "sub").mkdir(parents=True)
    (tools / "old.py").write_text("1")
    (tools / "sub" / "gone.py").write_text("1")
    (tools / "same.py").write_text("1")
    since = snapshot([tools])
    (tools / "new.py").write_text("1")
    (tools / "old.py").write_text("22")
    (tools / "sub" / "gone.py").unlink()
    batches = poll([tools], threading.Event(), interval=0.01, since=since)
    assert next(batches) == sorted(str(tools / n) for n in ("new.py", "old.py", "sub/gone.py"))


def test_poll_stops_when_told(tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    assert list(poll([tmp_path], stop, interval=0.01)) == []
