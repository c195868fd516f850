"""Layering contracts from DESIGN.md §3, enforced with import-linter."""

import ast
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


def sdk_server_importers(src: Path) -> list[str]:
    """Modules under ``src`` that import the SDK's server side (``mcp.server`` or below)."""
    found = []
    for path in sorted(src.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            if any(n == "mcp.server" or n.startswith("mcp.server.") for n in names):
                found.append(str(path.relative_to(src)))
                break
    return found


def test_only_the_transport_package_imports_the_sdk_server(tmp_path: Path) -> None:
    """import-linter sees external packages only as a whole (``mcp``), so this contract is checked here."""
    src = ROOT / "src" / "mcpgen"
    outside = [m for m in sdk_server_importers(src) if not m.startswith("runtime/transport/")]
    assert outside == [], f"only runtime/transport/ may import mcp.server: {outside}"
    (tmp_path / "bad.py").write_text("from mcp.server.lowlevel import Server\n")
    (tmp_path / "good.py").write_text("from mcp.shared.exceptions import MCPError\nimport mcp_types\n")
    assert sdk_server_importers(tmp_path) == ["bad.py"]  # the check itself can fail


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
    contracts = config["tool"]["importlinter"]["contracts"]
    # the package-wide layers contract (not one within a container such as mcpgen.cli)
    contract = next(c for c in contracts if c["type"] == "layers" and "containers" not in c)
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
