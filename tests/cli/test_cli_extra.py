"""Without the ``cli`` extra the ``mcpgen`` command says what to install instead of a traceback."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest
from packaging.requirements import Requirement

from mcpgen.__main__ import CLI_PACKAGES

# Refuses one package of the cli extra, as if `pip install mcpgen` had not installed it.
WITHOUT = r"""
import sys
missing = sys.argv[1]

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == missing:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Refuse())
sys.argv = ["mcpgen", *sys.argv[2:]]
from mcpgen.__main__ import main
main()
"""


def run_without(package: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT, package, *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("package", ["typer", "rich"])
def test_the_command_names_the_extra_when_the_cli_is_missing(package: str) -> None:
    proc = run_without(package, "--help")
    assert proc.returncode == 1
    assert (
        f"the command line needs the 'cli' extra, which is not installed (no module '{package}')"
        in proc.stderr
    )
    assert "pip install 'mcpgen[cli]'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_missing_package_outside_the_extra_is_not_blamed_on_it() -> None:
    proc = run_without("pydantic", "--help")
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr
    assert "'cli' extra" not in proc.stderr


def test_with_the_extra_the_command_runs() -> None:
    proc = run_without("nothing-refused", "--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()


def test_the_extra_in_pyproject_matches_what_the_command_checks() -> None:
    requires = [Requirement(r) for r in importlib.metadata.distribution("mcpgen").requires or []]
    extra = {r.name for r in requires if r.marker is not None and r.marker.evaluate({"extra": "cli"})} - {
        r.name for r in requires if r.marker is None or r.marker.evaluate({"extra": ""})
    }
    assert extra == set(CLI_PACKAGES)
