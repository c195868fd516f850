"""mcpgen installs anywhere from its wheel: the wheel carries every file of the package, and the
``mcpgen`` command works through ``uvx --from WHEEL`` and ``pipx install WHEEL`` (docs/install.md).

The wheel is built once per module with ``uv build``; uvx and pipx resolve the dependencies from the
package index, as a user's machine does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("wheel")]

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "mcpgen"


def _uv() -> str:
    try:
        import uv

        return str(uv.find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            if os.environ.get("MCPGEN_REQUIRE_UV"):
                raise
            pytest.skip("uv is not installed (it is in the dev extra)")
        return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [_uv(), "build", "--wheel", "--out-dir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (built,) = out.glob("mcpgen-*-py3-none-any.whl")
    return built


def _env(tmp: Path) -> dict[str, str]:
    """No Python downloads (the tests' interpreter is used), pipx in a throwaway home."""
    return {
        **os.environ,
        "UV_PYTHON_DOWNLOADS": "never",
        "PIPX_HOME": str(tmp / "pipx"),
        "PIPX_BIN_DIR": str(tmp / "bin"),
        "PIPX_MAN_DIR": str(tmp / "man"),
    }


def test_wheel_holds_every_file_of_the_package(wheel: Path) -> None:
    """Node bridge (.mjs), Dockerfile and other templates, py.typed: nothing is left behind."""
    expected = {
        f"mcpgen/{p.relative_to(PACKAGE).as_posix()}"
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
    }
    with zipfile.ZipFile(wheel) as zf:
        inside = {name for name in zf.namelist() if name.startswith("mcpgen/")}
        metadata = zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    assert expected - inside == set()
    assert "mcpgen/runtime/node/bridge.mjs" in inside
    assert "Provides-Extra: cli" in metadata
    assert "Provides-Extra: node" in metadata


def test_uvx_runs_the_command_from_the_wheel(wheel: Path, tmp_path: Path) -> None:
    uvx = [_uv(), "tool", "run", "--python", sys.executable, "--from"]
    env = _env(tmp_path)
    version = subprocess.run(
        [*uvx, f"{wheel}[cli]", "mcpgen", "--version"], capture_output=True, text=True, env=env, check=False
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("mcpgen ")
    # a real command: validate a workspace of TS/JS and Python tools, Node from the `node` extra
    ws = tmp_path / "polyglot"
    shutil.copytree(REPO / "examples" / "polyglot", ws, ignore=shutil.ignore_patterns("node_modules"))
    validate = subprocess.run(
        [*uvx, f"{wheel}[cli,node]", "mcpgen", "validate", str(ws), "--json"],
        capture_output=True,
        text=True,
        env={k: v for k, v in env.items() if k != "MCPGEN_NODE"},
        check=False,
        timeout=300,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr
    report = json.loads(validate.stdout)
    assert report["ok"] is True
    assert set(report["tools"]) == {"humanize_duration", "slugify", "word_stats"}  # TS, JS and Python
    # without the cli extra: a clear message, not a traceback
    bare = subprocess.run(
        [*uvx, str(wheel), "mcpgen", "--version"], capture_output=True, text=True, env=env, check=False
    )
    assert bare.returncode == 1
    assert "uvx --from 'mcpgen[cli]' mcpgen" in bare.stderr
    assert "Traceback" not in bare.stderr


def test_pipx_installs_the_command(wheel: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "pipx", "install", "--python", sys.executable, f"{wheel}[cli]"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )
    if proc.returncode != 0 and "No module named pipx" in proc.stderr:
        pytest.skip("pipx is not installed (it is in the dev extra)")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    command = tmp_path / "bin" / "mcpgen"
    version = subprocess.run([str(command), "--version"], capture_output=True, text=True, check=False)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("mcpgen ")
    validate = subprocess.run(
        [str(command), "validate", str(REPO / "examples" / "demo"), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert json.loads(validate.stdout)["ok"] is True
