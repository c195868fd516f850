from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mcpgen.discovery import DiscoveryResult, discover
from mcpgen.manifest import CredentialRef, Entrypoint, SourceRef, ToolEntry

WORKSPACES = Path(__file__).resolve().parents[1] / "fixtures" / "workspaces"


@pytest.fixture(scope="session")
def broken() -> DiscoveryResult:
    return discover(WORKSPACES / "broken", timeout=2.0)


@pytest.fixture(scope="session")
def good() -> DiscoveryResult:
    return discover(WORKSPACES / "good")


def _tool(
    name: str = "t",
    path: str = "tools/t.py",
    line: int = 1,
    *,
    description: str = "A tool.",
    input_schema: dict[str, Any] | None = None,
    output_schema: dict[str, Any] | None = None,
    credentials: list[CredentialRef] | None = None,
) -> ToolEntry:
    return ToolEntry(
        name=name,
        description=description,
        input_schema=input_schema if input_schema is not None else {"type": "object", "properties": {}},
        output_schema=output_schema,
        credentials=credentials or [],
        entrypoint=Entrypoint(path=path, attribute=name),
        source=SourceRef(path=path, line=line),
    )


@pytest.fixture
def make_tool() -> Callable[..., ToolEntry]:
    """``make_tool(name, path, line, description=..., input_schema=..., credentials=...)``."""
    return _tool
