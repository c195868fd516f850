"""Layering contracts from DESIGN.md §3, enforced with import-linter."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "broken" not in proc.stdout.lower().replace("0 broken", "")


# Top-level modules outside the layers, each for a stated reason.
OUTSIDE_LAYERS = {
    "mcpgen.__main__": "the `python -m mcpgen` entry point: calls the CLI, imported by nothing",
    "mcpgen._version": "the version string, a leaf generated at build time",
    "mcpgen.testing": "the test helpers sit on top of everything; their own contract keeps the product off them",
}


def test_every_top_level_module_sits_in_a_layer() -> None:
    """A new top-level module (like the old ``mcpgen/masking.py``) must be placed in a layer, or the
    layers contract says nothing about what it may import."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    layered = {name.strip() for layer in contract["layers"] for name in layer.replace(":", "|").split("|")}
    package = ROOT / "src" / "mcpgen"
    found = {
        f"mcpgen.{p.stem}"
        for p in package.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }
    unplaced = sorted(found - layered - set(OUTSIDE_LAYERS))
    assert not unplaced, f"not in the layers contract of pyproject.toml: {unplaced}"
    assert set(OUTSIDE_LAYERS) <= found, "an exemption names a module that no longer exists"
