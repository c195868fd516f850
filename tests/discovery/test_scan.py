from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mcpgen.discovery.scan import SourceFile, scan, unsupported
from mcpgen.errors import WorkspaceError

Write = Callable[[Path, str, str], Path]


def test_lists_source_files_of_every_kind_sorted(tmp_path: Path, write: Write) -> None:
    write(tmp_path, "tools/b.py", "")
    write(tmp_path, "tools/a.ts", "")
    write(tmp_path, "tools/nested/deep/c.mjs", "")
    write(tmp_path, "tools/d.mts", "")
    write(tmp_path, "tools/e.js", "")
    write(tmp_path, "connectors/db.py", "")
    write(tmp_path, "resources/r.py", "")
    write(tmp_path, "prompts/p.py", "")
    assert scan(tmp_path) == [
        SourceFile("connectors/db.py", "connectors", "python"),
        SourceFile("prompts/p.py", "prompts", "python"),
        SourceFile("resources/r.py", "resources", "python"),
        SourceFile("tools/a.ts", "tools", "typescript"),
        SourceFile("tools/b.py", "tools", "python"),
        SourceFile("tools/d.mts", "tools", "typescript"),
        SourceFile("tools/e.js", "tools", "javascript"),
        SourceFile("tools/nested/deep/c.mjs", "tools", "javascript"),
    ]


@pytest.mark.parametrize(
    "rel",
    [
        "tools/_helper.py",
        "tools/.hidden.py",
        "tools/.cache/x.py",
        "tools/_private/x.py",
        "tools/__pycache__/x.py",
        "tools/node_modules/pkg/index.js",
        "tools/README.md",
        "tools/requirements.txt",
        "tools/types.pyi",
        "other/x.py",
        "x.py",
    ],
)
def test_skips_helpers_hidden_and_non_sources(tmp_path: Path, rel: str, write: Write) -> None:
    write(tmp_path, rel, "")
    write(tmp_path, "tools/keep.py", "")
    assert [f.path for f in scan(tmp_path)] == ["tools/keep.py"]


def test_missing_folders_are_fine(tmp_path: Path) -> None:
    assert scan(tmp_path) == []


def test_root_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError) as info:
        scan(tmp_path / "nope")
    assert info.value.path == tmp_path / "nope"


def test_typescript_and_javascript_outside_tools_and_connectors_get_a_warning(
    tmp_path: Path, write: Write
) -> None:
    write(tmp_path, "tools/a.py", "")
    write(tmp_path, "tools/b.ts", "")
    write(tmp_path, "connectors/e.ts", "")
    write(tmp_path, "prompts/c.js", "")
    write(tmp_path, "resources/d.ts", "")
    found = unsupported(scan(tmp_path))
    assert [(d.path, d.severity, d.code) for d in found] == [
        ("prompts/c.js", "warning", "unsupported-language"),
        ("resources/d.ts", "warning", "unsupported-language"),
    ]
    assert "tools and connectors only" in found[0].message


def test_absolute_joins_the_root(tmp_path: Path, write: Write) -> None:
    write(tmp_path, "tools/sub/a.py", "")
    (source,) = scan(tmp_path)
    assert source.absolute(tmp_path) == tmp_path / "tools" / "sub" / "a.py"
