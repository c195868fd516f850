"""Layering contracts from DESIGN.md §3, enforced with import-linter."""

import ast
import subprocess
import sys
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
