from pathlib import Path

import pytest

from mcpgen.errors import WorkspaceError
from mcpgen.workflows.init import init_workspace, plan_init
from mcpgen.workflows.project import load_project


def test_project_defaults_to_folder_name(tmp_path: Path) -> None:
    ws = tmp_path / "My Server"
    ws.mkdir()
    project = load_project(ws)
    assert project.name == "My-Server"
    assert project.version == "0.1.0"


def test_project_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "mcpgen.yaml").write_text("name: weather\nversion: 2.1.0\ndescription: Forecasts\n")
    project = load_project(tmp_path)
    assert (project.name, project.version, project.description) == ("weather", "2.1.0", "Forecasts")


def test_yaml_error_names_file_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "mcpgen.yaml").write_text("name: ok\nversion: [1, 2\n")
    with pytest.raises(WorkspaceError) as info:
        load_project(tmp_path)
    assert "mcpgen.yaml:" in info.value.message
    assert "invalid YAML" in info.value.message


def test_unknown_key_is_named(tmp_path: Path) -> None:
    (tmp_path / "mcpgen.yaml").write_text("name: ok\nverison: 1\n")
    with pytest.raises(WorkspaceError, match="verison"):
        load_project(tmp_path)


def test_bad_name_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "mcpgen.yaml").write_text("name: 'has spaces'\n")
    with pytest.raises(WorkspaceError, match="has spaces"):
        load_project(tmp_path)


def test_missing_workspace_suggests_init(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="mcpgen init"):
        load_project(tmp_path / "nope")


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
