"""Fixtures for CLI tests: private workspace copies, started servers stopped at the end."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import FIXTURES, Cli


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def good_workspace(tmp_path: Path) -> Path:
    """A private copy of the good fixture workspace (serving writes .mcpgen/ into it)."""
    target = tmp_path / "good"
    shutil.copytree(FIXTURES / "good", target)
    return target


PING_TOOL = (
    "from mcpgen import tool\n\n@tool\ndef ping() -> str:\n    '''Answer pong.'''\n    return 'pong'\n"
)


@pytest.fixture
def ping_workspace(tmp_path: Path) -> Path:
    """A workspace ``ws`` with one tool, ``ping``."""
    root = tmp_path / "ws"
    (root / "tools").mkdir(parents=True)
    (root / "tools" / "ping.py").write_text(PING_TOOL)
    return root


@pytest.fixture
def running() -> Iterator[list[Cli]]:
    """Collects started CLIs and stops them at the end of the test."""
    started: list[Cli] = []
    yield started
    for cli in started:
        cli.stop()
