"""The ``python -m mcpgen.runtime`` argument handling (no server started)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpgen.config import load_config
from mcpgen.runtime.__main__ import default_root, main, parser, settings_from_args
from mcpgen.runtime.settings import settings_from_config


def test_default_root(tmp_path: Path) -> None:
    assert default_root(tmp_path / ".mcpgen" / "manifest.json") == tmp_path.resolve()
    assert default_root(tmp_path / "dist" / "manifest.json") == (tmp_path / "dist").resolve()


def test_config_is_the_base_and_flags_override_it(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(
        "server:\n  port: 9100\n  request_timeout: 12\n  allowed_hosts: [a.example]\n"
        "logging:\n  format: json\n"
    )
    (tmp_path / "config" / "config.prod.yaml").write_text("server:\n  host: 0.0.0.0\n")
    manifest = tmp_path / ".mcpgen" / "manifest.json"
    args = parser({"MCPGEN_ENV": "prod"}).parse_args(
        [
            "--manifest",
            str(manifest),
            "--protocol-mode",
            "stateful",
            "--timeout",
            "5",
            "--set",
            "server.thread_pool_size=3",
        ]
    )
    base = settings_from_config(
        load_config(tmp_path, env=args.env, environ={}, overrides=args.set).config, tmp_path
    )
    settings = settings_from_args(args, base)
    assert (settings.http.port, settings.http.host) == (9100, "0.0.0.0")  # config + the prod overlay
    assert settings.security.allowed_hosts == ("a.example",)
    assert settings.logging.format == "json"
    assert settings.execution.thread_pool_size == 3  # --set
    assert settings.http.protocol_mode == "stateful"  # flag
    assert settings.execution.default_timeout == 5  # flag beats config's 12
    assert settings.root == tmp_path


def test_port_from_the_platform_environment(tmp_path: Path) -> None:
    args = parser({"PORT": "7001"}).parse_args(["--manifest", str(tmp_path / "m.json")])
    assert (
        settings_from_args(
            args, settings_from_config(load_config(tmp_path, environ={}).config, tmp_path)
        ).http.port
        == 7001
    )


def test_disabled_tool_and_timeout_override(tmp_path: Path) -> None:
    from mcpgen.config import load_config as load
    from mcpgen.errors import ConfigError
    from mcpgen.manifest import Entrypoint, Manifest, ServerInfo, SourceRef, ToolEntry
    from mcpgen.runtime.settings import apply_tool_overrides

    def entry(name: str) -> ToolEntry:
        ref = f"tools/{name}.py"
        return ToolEntry(name=name, input_schema={"type": "object"}, entrypoint=Entrypoint(path=ref, attribute=name),
                         source=SourceRef(path=ref))  # fmt: skip

    manifest = Manifest(mcpgen_version="0", server=ServerInfo(name="s"), tools=[entry("a"), entry("b")])
    cfg = load(tmp_path, environ={}, overrides=["tools.a.enabled=false", "tools.b.timeout=2.5"]).config
    applied = apply_tool_overrides(manifest, cfg.tools)
    assert [(t.name, t.timeout) for t in applied.tools] == [("b", 2.5)]
    typo = load(tmp_path, environ={}, overrides=["tools.bb.enabled=false"]).config
    with pytest.raises(ConfigError, match=r"tools\.bb: no such tool"):
        apply_tool_overrides(manifest, typo.tools)


def test_missing_manifest_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--manifest", str(tmp_path / "nope.json")], env={}) == 1
    assert "cannot read manifest" in capsys.readouterr().err


def test_manifest_flag_is_required() -> None:
    with pytest.raises(SystemExit) as info:
        parser({}).parse_args([])
    assert info.value.code == 2


def test_unsupported_workers_setting_is_announced(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = load_config(tmp_path, environ={}, overrides=["server.workers=4"]).config
    with caplog.at_level("WARNING", logger="mcpgen.runtime"):
        settings_from_config(config, tmp_path)
    assert "server.workers=4 is not supported yet" in caplog.text
