from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from mcpgen.discovery import DiscoveryResult, discover

Write = Callable[[Path, str, str], Path]
Children = Callable[[], set[int]]


def test_good_workspace_has_everything_and_no_diagnostics(good: DiscoveryResult) -> None:
    assert good.diagnostics == []
    assert [t.name for t in good.tools] == ["reverse", "summarize", "word_count"]
    assert [(r.uri, r.uri_template) for r in good.resources] == [
        ("info://about", None),
        (None, "users://{user_id}/profile"),
    ]
    assert [p.name for p in good.prompts] == ["review_code"]
    assert [f.path for f in good.files] == [
        "prompts/review.py",
        "resources/about.py",
        "tools/reverse.py",
        "tools/summarize.py",
        "tools/word_count.py",
    ]


def test_entries_point_back_at_their_source(good: DiscoveryResult) -> None:
    tools = {t.name: t for t in good.tools}
    summarize = tools["summarize"]
    assert summarize.entrypoint.path == "tools/summarize.py"
    assert summarize.entrypoint.kind == "decorated"
    assert summarize.source.line is not None
    assert "ctx" not in summarize.input_schema["properties"]
    assert tools["reverse"].entrypoint.kind == "seed"
    assert tools["reverse"].entrypoint.attribute == "handler"


def test_dependencies_per_module(good: DiscoveryResult) -> None:
    assert good.dependencies == {"tools/reverse.py": ["httpx<1"], "tools/summarize.py": ["httpx>=0.27"]}
    assert [(d.path, d.line) for d in good.requirements] == [
        ("tools/reverse.py", 2),
        ("tools/summarize.py", 2),
    ]


def test_seed_versions(good: DiscoveryResult) -> None:
    assert [(s.path, s.name, s.version) for s in good.seed_versions] == [
        ("tools/reverse.py", "reverse", "1.0")
    ]


def test_requirements_txt_is_read(tmp_path: Path, write: Write) -> None:
    write(tmp_path, "tools/requirements.txt", "httpx>=0.27\nnot valid ~~\n")
    result = discover(tmp_path)
    assert result.dependencies == {"tools/requirements.txt": ["httpx>=0.27"]}
    assert [(d.code, d.path, d.line) for d in result.diagnostics] == [
        ("invalid-requirement", "tools/requirements.txt", 2)
    ]


def test_file_without_definitions_warns_naming_what_it_lacks(tmp_path: Path, write: Write) -> None:
    write(tmp_path, "tools/empty.py", "X = 1\n")
    write(tmp_path, "connectors/db.py", "class Database:\n    pass\n")
    result = discover(tmp_path)
    found = {d.path: (d.code, d.severity, d.message) for d in result.diagnostics}
    assert found["tools/empty.py"][:2] == ("no-definitions", "warning")
    assert "tool, resource or prompt" in found["tools/empty.py"][2]
    assert found["connectors/db.py"][:2] == ("no-definitions", "warning")
    assert "defines no connector" in found["connectors/db.py"][2]
    assert result.ok


def test_discovery_is_deterministic(good: DiscoveryResult) -> None:
    again = discover(Path(good.root))
    assert again.tools == good.tools
    assert again.resources == good.resources
    assert again.prompts == good.prompts
    assert again.diagnostics == good.diagnostics


def test_many_files_load_quickly_with_long_lived_workers(
    tmp_path: Path, write: Write, children: Children
) -> None:
    for n in range(300):
        write(
            tmp_path,
            f"tools/t{n:03}.py",
            f"from mcpgen import tool\n\n\n@tool\ndef t{n:03}(x: int) -> int:\n    return x\n",
        )
    before = children()
    start = time.monotonic()
    result = discover(tmp_path)
    elapsed = time.monotonic() - start
    assert len(result.tools) == 300
    assert result.ok
    # one process per file would take well over a minute here
    assert elapsed < 30, f"discovery of 300 files took {elapsed:.1f}s"
    assert children() - before == set()
