"""The ``python -m mcpgen.runtime`` argument handling (no server started)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpgen.runtime.__main__ import default_root, main, parser, settings_from_args


def test_default_root(tmp_path: Path) -> None:
    assert default_root(tmp_path / ".mcpgen" / "manifest.json") == tmp_path.resolve()
    assert default_root(tmp_path / "dist" / "manifest.json") == (tmp_path / "dist").resolve()


def test_flags_and_environment(tmp_path: Path) -> None:
    env = {"MCPGEN_PORT": "9000", "MCPGEN_ALLOWED_HOSTS": "a.example, b.example"}
    args = parser(env).parse_args(
        ["--manifest", str(tmp_path / "m.json"), "--stateful", "--host", "0.0.0.0", "--timeout", "5"]
    )
    settings = settings_from_args(args)
    assert settings.port == 9000
    assert settings.host == "0.0.0.0"
    assert not settings.stateless
    assert settings.default_timeout == 5
    assert settings.allowed_hosts == ("a.example", "b.example")
    assert settings.root == tmp_path.resolve()


def test_missing_manifest_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--manifest", str(tmp_path / "nope.json")], env={}) == 1
    assert "cannot read manifest" in capsys.readouterr().err


def test_manifest_flag_is_required() -> None:
    with pytest.raises(SystemExit) as info:
        parser({}).parse_args([])
    assert info.value.code == 2
