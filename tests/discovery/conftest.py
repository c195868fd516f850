from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from mcpgen.discovery import DiscoveryResult, discover

WORKSPACES = Path(__file__).resolve().parents[1] / "fixtures" / "workspaces"
BROKEN = WORKSPACES / "broken"
GOOD = WORKSPACES / "good"


def child_pids() -> set[int]:
    """PIDs (zombies included) whose parent is this test process."""
    me = str(os.getpid())
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if fields[1] == me:
            found.add(int(entry.name))
    return found


@pytest.fixture(scope="session")
def broken() -> DiscoveryResult:
    before = child_pids()
    result = discover(BROKEN, timeout=2.0)
    assert child_pids() - before == set()
    return result


@pytest.fixture(scope="session")
def good() -> DiscoveryResult:
    return discover(GOOD)


def _write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def write() -> Callable[[Path, str, str], Path]:
    """``write(root, rel, text)``: create a workspace file."""
    return _write


@pytest.fixture
def children() -> Callable[[], set[int]]:
    """``children()``: PIDs (zombies included) whose parent is this test process."""
    return child_pids
