"""Helpers for config tests: a workspace with a config/ folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

Write = Callable[[str, str], Path]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    return tmp_path


@pytest.fixture
def write(workspace: Path) -> Write:
    """``write("config.yaml", text)`` writes ``workspace/config/config.yaml``."""

    def _write(name: str, text: str) -> Path:
        path = workspace / "config" / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write
