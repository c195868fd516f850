from pathlib import Path

import pytest

from mcpgen.errors import WorkspaceError
from mcpgen.workflows.init import init_workspace, plan_init
from mcpgen.workflows.project import load_project


def test_project_defaults_to_folder_name(tmp_path: Path) -> None:
    ws = tmp_path / "My Server"
    ws.mkdir()
    project = load_project(ws)
    assert project.file.name == "My-Server"
    assert project.file.version == "0.1.0"
    assert not project.has_project_file


def test_project_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "mcpgen.yaml").write_text("name: weather\nversion: 2.1.0\ndescription: Forecasts\n")
    project = load_project(tmp_path)
    assert (project.file.name, project.file.version, project.file.description) == (
        "weather",
        "2.1.0",
        "Forecasts",
    )
    assert project.watch_paths() == [tmp_path / "mcpgen.yaml"]


def test_missing_workspace_suggests_init(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="mcpgen init"):
        load_project(tmp_path / "nope")


def test_a_file_is_not_a_workspace(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(WorkspaceError, match="is not a directory"):
        load_project(tmp_path / "f")


def test_init_plans_then_keeps_existing_files(tmp_path: Path) -> None:
    planned = plan_init(tmp_path)
    assert Path("tools/greet.py") in planned
    (tmp_path / "mcpgen.yaml").write_text("name: mine\n")
    result = init_workspace(tmp_path)
    assert Path("mcpgen.yaml") in result.skipped
    assert (tmp_path / "mcpgen.yaml").read_text() == "name: mine\n"
    assert (tmp_path / "tools" / "greet.py").is_file()
    forced = init_workspace(tmp_path, force=True)
    assert Path("mcpgen.yaml") in forced.created
    assert load_project(tmp_path).file.name == tmp_path.name  # what init writes, read back
