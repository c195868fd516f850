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


@pytest.fixture
def running() -> Iterator[list[Cli]]:
    """Collects started CLIs and stops them at the end of the test."""
    started: list[Cli] = []
    yield started
    for cli in started:
        cli.stop()
