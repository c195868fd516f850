"""Loading user modules in worker subprocesses: every failure is a diagnostic, the rest still loads."""

from __future__ import annotations

import os
import select
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mcpgen.discovery import DiscoveryResult
from mcpgen.discovery import python_loader as loader
from mcpgen.discovery.python_loader import load_python

Write = Callable[[Path, str, str], Path]
Children = Callable[[], set[int]]

GOOD_TOOL = """\
from mcpgen import tool


@tool
def {name}(x: int) -> int:
    \"\"\"Double.\"\"\"
    return 2 * x
"""


@pytest.mark.parametrize(
    ("path", "code", "line"),
    [
        ("tools/syntax_error.py", "syntax-error", 7),
        ("tools/missing_package.py", "missing-package", 3),
        ("tools/raises_at_import.py", "import-error", 5),
        ("tools/exits_at_import.py", "system-exit", 4),
        ("tools/hangs.py", "timeout", 3),
        ("tools/os_exit.py", "worker-crash", 3),
        ("tools/segfault.py", "worker-crash", 3),
        ("tools/bad_signature.py", "definition-error", 4),
        ("tools/later.ts", "schema-fallback", 1),
    ],
)
def test_each_broken_file_is_one_diagnostic(
    broken: DiscoveryResult, path: str, code: str, line: int | None
) -> None:
    found = [d for d in broken.diagnostics if d.path == path]
    assert [(d.code, d.line) for d in found] == [(code, line)]


def test_good_tools_are_still_discovered(broken: DiscoveryResult) -> None:
    names = {t.name for t in broken.tools}
    assert {"echo", "add", "chatty", "fetch_new", "fetch_old", "undocumented", "seed_future"} <= names
    assert not names & {"uses_missing", "never", "broken", "splat"}


def test_helper_modules_are_importable_but_not_scanned(broken: DiscoveryResult) -> None:
    assert "tools/_shared.py" not in {f.path for f in broken.files}
    assert not [d for d in broken.diagnostics if d.path == "tools/good_echo.py"]


def test_printing_at_import_does_not_corrupt_the_protocol(broken: DiscoveryResult) -> None:
    chatty = next(t for t in broken.tools if t.name == "chatty")
    assert chatty.source.path == "tools/prints_at_import.py"
    assert not [d for d in broken.diagnostics if d.path == "tools/prints_at_import.py"]


def test_messages_explain_the_failure(broken: DiscoveryResult) -> None:
    by_path = {d.path: d for d in broken.diagnostics}
    assert "definitely_not_installed_pkg" in by_path["tools/missing_package.py"].message
    assert "PEP 723" in by_path["tools/missing_package.py"].message
    assert "RuntimeError" in by_path["tools/raises_at_import.py"].message
    assert "sys.exit(3)" in by_path["tools/exits_at_import.py"].message
    assert "os._exit(7)" in by_path["tools/os_exit.py"].message
    assert "SIGSEGV" in by_path["tools/segfault.py"].message
    assert "2s" in by_path["tools/hangs.py"].message
    assert "about to exit" in (by_path["tools/exits_at_import.py"].detail or "")


def test_seed_versions_carry_their_line(broken: DiscoveryResult) -> None:
    seed = next(s for s in broken.seed_versions if s.name == "seed_future")
    assert (seed.path, seed.version, seed.line) == ("tools/seed_future_version.py", "9.9", 4)


def test_a_fresh_worker_takes_over_after_timeout_and_crash(
    tmp_path: Path, write: Write, children: Children
) -> None:
    write(tmp_path, "tools/a_hang.py", "while True:\n    pass\n")
    write(tmp_path, "tools/b_good.py", GOOD_TOOL.format(name="b"))
    write(tmp_path, "tools/c_exit.py", "import os\nos._exit(1)\n")
    write(tmp_path, "tools/d_good.py", GOOD_TOOL.format(name="d"))
    paths = ["tools/a_hang.py", "tools/b_good.py", "tools/c_exit.py", "tools/d_good.py"]
    before = children()
    start = time.monotonic()
    results = load_python(tmp_path, paths, timeout=1.5, workers=1)
    assert time.monotonic() - start < 20
    assert children() - before == set()
    assert [r.path for r in results] == paths
    assert [d.code for d in results[0].diagnostics] == ["timeout"]
    assert results[0].diagnostics[0].line in (1, 2)
    assert [t.name for t in results[1].tools] == ["b"]
    assert [(d.code, d.line) for d in results[2].diagnostics] == [("worker-crash", 2)]
    assert [t.name for t in results[3].tools] == ["d"]


def test_killing_a_worker_also_kills_what_it_started(tmp_path: Path, write: Write) -> None:
    marker = tmp_path / "child.pid"
    write(
        tmp_path,
        "tools/spawner.py",
        "import subprocess, sys, threading\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(marker)!r}, 'w').write(str(p.pid))\n"
        "threading.Event().wait()\n",
    )
    (result,) = load_python(tmp_path, ["tools/spawner.py"], timeout=1.5)
    assert [d.code for d in result.diagnostics] == ["timeout"]
    pid = int(marker.read_text())
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return  # already gone
    try:
        ready, _, _ = select.select([handle], [], [], 10)
    finally:
        os.close(handle)
    assert ready, f"process {pid} started by the hung module is still running"


def test_workers_are_reaped_when_the_caller_is_interrupted(
    tmp_path: Path, write: Write, children: Children, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "tools/a.py", GOOD_TOOL.format(name="a"))
    started: list[loader.Worker] = []
    real_ask = loader.Worker.ask

    def interrupted(self: loader.Worker, rel: str, timeout: float) -> object:
        started.append(self)
        real_ask(self, rel, timeout)
        raise KeyboardInterrupt

    monkeypatch.setattr(loader.Worker, "ask", interrupted)
    before = children()
    with pytest.raises(KeyboardInterrupt):
        load_python(tmp_path, ["tools/a.py"])
    assert len(started) == 1
    assert started[0].proc.returncode is not None
    assert children() - before == set()


def test_workers_that_cannot_start_give_diagnostics(
    tmp_path: Path, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "tools/a.py", GOOD_TOOL.format(name="a"))
    write(tmp_path, "tools/b.py", GOOD_TOOL.format(name="b"))
    monkeypatch.setattr(loader, "WORKER_MODULE", "mcpgen.discovery.no_such_worker")
    results = load_python(tmp_path, ["tools/a.py", "tools/b.py"], workers=1)
    for result in results:
        (diag,) = result.diagnostics
        assert diag.code == "worker-crash"
        assert "did not start" in diag.message
        assert "no_such_worker" in diag.message  # the worker's stderr says why


def test_no_files_start_no_worker(tmp_path: Path, children: Children) -> None:
    before = children()
    assert load_python(tmp_path, []) == []
    assert children() == before


def test_same_named_helpers_in_two_folders_do_not_shadow_each_other(tmp_path: Path, write: Write) -> None:
    for folder in ("alpha", "beta"):
        write(tmp_path, f"tools/{folder}/_helpers.py", f"NAME = {folder!r}\n")
        write(
            tmp_path,
            f"tools/{folder}/tool.py",
            "from _helpers import NAME\nfrom mcpgen import tool\n\n\n"
            f"@tool(name=NAME)\ndef {folder}() -> str:\n"
            '    """Named by its helper."""\n    return NAME\n',
        )
    results = load_python(tmp_path, ["tools/alpha/tool.py", "tools/beta/tool.py"], workers=1)
    assert [[t.name for t in r.tools] for r in results] == [["alpha"], ["beta"]]
