"""Workspaces as people write them: helper modules per folder, linked tool files, parameters named like
pydantic attributes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from mcpgen.authoring import import_file, purge_workspace_modules
from mcpgen.runtime import Registry

from .conftest import make_manifest
from .test_fastpath import answer, body, call, legacy, pair, served

TOOL_TOP = (
    "from mcpgen import tool\nimport _helpers\n\n@tool\n"
    "def {name}() -> str:\n    '''Read this folder's helper.'''\n    return _helpers.VALUE\n"
)
TOOL_LAZY = (
    "from mcpgen import tool\n\n@tool\n"
    "def {name}() -> str:\n    '''Read this folder's helper, imported at call time.'''\n"
    "    from _helpers import VALUE\n    return VALUE\n"
)
HELPER = "import _deeper\n\nVALUE = {value!r} + _deeper.SUFFIX\n"
DEEPER = "SUFFIX = {suffix!r}\n"


def _folders(tmp_path: Path, *names: str) -> None:
    for name in names:
        (tmp_path / "tools" / name).mkdir(parents=True, exist_ok=True)


def test_each_folder_imports_its_own_helpers(tmp_path: Path) -> None:
    """Two folders with a ``_helpers.py`` each (and a helper importing a helper): every tool sees its own."""
    _folders(tmp_path, "a", "b")
    files = {
        "a/_deeper.py": DEEPER.format(suffix="-a"),
        "a/_helpers.py": HELPER.format(value="from a"),
        "a/one.py": TOOL_TOP.format(name="one"),
        "b/_deeper.py": DEEPER.format(suffix="-b"),
        "b/_helpers.py": HELPER.format(value="from b"),
        "b/two.py": TOOL_TOP.format(name="two"),
        "b/three.py": TOOL_LAZY.format(name="three"),
    }
    manifest, settings = make_manifest(tmp_path, files)
    tools = Registry.load(manifest, settings).tools
    assert tools["one"].definition.fn() == "from a-a"
    assert tools["two"].definition.fn() == "from b-b"
    assert tools["three"].definition.fn() == "from b-b"
    assert "_helpers" not in sys.modules  # each lives in its folder's package, never as a top-level name
    helper = sys.modules[f"{settings.execution.module_namespace}.tools.a._helpers"]
    assert helper.__file__ == str(tmp_path / "tools" / "a" / "_helpers.py")


def test_helpers_are_shared_within_a_folder(tmp_path: Path) -> None:
    """Tools of one folder share one helper module (state in it is shared, as in a package)."""
    _folders(tmp_path, "a")
    counter = "CALLS = []\n\ndef hit(who):\n    CALLS.append(who)\n    return len(CALLS)\n"
    tool = "from mcpgen import tool\nimport _count\n\n@tool\ndef {name}() -> int:\n    return _count.hit({name!r})\n"
    files = {"a/_count.py": counter, "a/x.py": tool.format(name="x"), "a/y.py": tool.format(name="y")}
    manifest, settings = make_manifest(tmp_path, files)
    tools = Registry.load(manifest, settings).tools
    assert (tools["x"].definition.fn(), tools["y"].definition.fn()) == (1, 2)


def test_a_helper_added_before_a_reload_is_found(tmp_path: Path) -> None:
    folder = tmp_path / "tools"
    folder.mkdir()
    (folder / "t.py").write_text("def f():\n    import _late\n    return _late.VALUE\n")
    first = import_file(tmp_path, folder / "t.py", "ws_late")
    with pytest.raises(ModuleNotFoundError):
        first.f()
    (folder / "_late.py").write_text("VALUE = 'late'\n")
    purge_workspace_modules(tmp_path)
    assert import_file(tmp_path, folder / "t.py", "ws_late").f() == "late"


def test_a_tool_linked_from_outside_the_workspace_loads(tmp_path: Path) -> None:
    """A linked file is named and resolves its helpers by where the link is (next to its neighbours)."""
    outside = tmp_path / "shared"
    outside.mkdir()
    (outside / "_helpers.py").write_text("VALUE = 'next to the target'\n")
    workspace = tmp_path / "ws"
    (workspace / "tools").mkdir(parents=True)
    (outside / "linked.py").write_text("")
    os.symlink(outside / "linked.py", workspace / "tools" / "linked.py")
    files = {"_helpers.py": "VALUE = 'next to the link'\n", "linked.py": TOOL_TOP.format(name="linked")}
    manifest, settings = make_manifest(workspace, files)
    assert (outside / "linked.py").read_text() == files["linked.py"]  # written through the link
    assert manifest.tools[0].entrypoint.path == "tools/linked.py"
    tool = Registry.load(manifest, settings).tools["linked"]
    assert tool.definition.fn() == "next to the link"


RESERVED = (
    "import datetime\nfrom mcpgen import tool\n\n"
    "@tool\n"
    "def plain(schema: str, json: int, model_config: dict[str, int] | None = None, copy: bool = False) -> str:\n"
    "    '''Plain parameters named like pydantic attributes.'''\n"
    "    return f'{schema}|{json}|{model_config}|{copy}'\n\n"
    "@tool\n"
    "def coerced(schema: datetime.date, dict: int = 3, model_fields: list[datetime.date] | None = None) -> str:\n"
    "    '''Coerced parameters named like pydantic attributes.'''\n"
    "    return f'{schema.isoformat()}|{dict}|{model_fields}'\n"
)


def test_reserved_names_keep_their_public_name_in_the_schema(tmp_path: Path) -> None:
    manifest, _ = make_manifest(tmp_path, {"reserved.py": RESERVED})  # warnings are errors here
    schemas = {t.name: t.input_schema for t in manifest.tools}
    assert set(schemas["plain"]["properties"]) == {"schema", "json", "model_config", "copy"}
    assert schemas["plain"]["required"] == ["schema", "json"]
    assert set(schemas["coerced"]["properties"]) == {"schema", "dict", "model_fields"}
    assert schemas["coerced"]["properties"]["schema"]["format"] == "date"
    assert schemas["coerced"]["required"] == ["schema"]


CALLS: list[tuple[dict[str, Any], str]] = [
    (call("plain", {"schema": "s", "json": 2, "model_config": {"k": 1}, "copy": True}), "s|2|{'k': 1}|True"),
    (call("plain", {"schema": "s", "json": 2}), "s|2|None|False"),
    (
        call("coerced", {"schema": "2026-12-04", "dict": 5, "model_fields": ["2026-01-02"]}),
        "2026-12-04|5|[datetime.date(2026, 1, 2)]",
    ),
    (call("coerced", {"schema": "2026-12-04"}), "2026-12-04|3|None"),
]


@pytest.mark.anyio
async def test_reserved_names_work_on_both_paths(tmp_path: Path) -> None:
    async with pair(tmp_path, {"reserved.py": RESERVED}) as (fast, sdk):
        for params, expected in CALLS:
            for client in (fast, sdk):
                response = await client.post("/mcp", content=body("tools/call", params), headers=legacy())
                status, _, message = answer(response)
                assert status == 200, message
                assert message["result"]["content"][0]["text"] == expected, orjson.dumps(message)
        assert served(fast)["fast"] == len(CALLS)
        assert served(sdk)["sdk"] == len(CALLS)
