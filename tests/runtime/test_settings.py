"""Runtime settings: the parts by concern, their validation, and the flat keyword spelling."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import pytest

from mcpgen.config import load_config
from mcpgen.errors import ConfigError
from mcpgen.runtime.settings import (
    OPTION_PATHS,
    CorsSettings,
    ExecutionSettings,
    HttpSettings,
    LimitSettings,
    LogSettings,
    MonitoringSettings,
    SecuritySettings,
    Settings,
    settings_from_config,
)

PARTS = (
    HttpSettings,
    SecuritySettings,
    CorsSettings,
    ExecutionSettings,
    LogSettings,
    LimitSettings,
    MonitoringSettings,
)


def leaf_paths(obj: object, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Attribute paths of every non-part field under ``obj`` (``root`` excluded: it is positional)."""
    paths: set[tuple[str, ...]] = set()
    for f in fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if isinstance(value, PARTS):
            paths |= leaf_paths(value, (*prefix, f.name))
        elif (*prefix, f.name) != ("root",):
            paths.add((*prefix, f.name))
    return paths


def test_every_field_has_exactly_one_flat_option(tmp_path: Path) -> None:
    paths = list(OPTION_PATHS.values())
    assert len(paths) == len(set(paths))
    assert set(paths) == leaf_paths(Settings(root=tmp_path))


def test_parts_are_frozen_slotted_dataclasses() -> None:
    for part in (*PARTS, Settings):
        assert is_dataclass(part)
        assert part.__dataclass_params__.frozen
        assert "__slots__" in vars(part)


def test_flat_options_land_in_their_part(tmp_path: Path) -> None:
    s = Settings.of(
        tmp_path,
        host="0.0.0.0",
        port=0,
        allowed_hosts=["mcp.example"],
        cors_allow_origins=["https://app.example"],
        cors_max_age=5,
        default_timeout=3,
        module_namespace="ws_x",
        log_level="debug",
        log_destination="file",
        log_file=tmp_path / "server.log",
        access_log=True,
        secret_values=["s3cret"],
    )
    assert (s.http.host, s.http.port) == ("0.0.0.0", 0)
    assert s.security == SecuritySettings(
        allowed_hosts=("mcp.example",), cors=CorsSettings(allow_origins=("https://app.example",), max_age=5)
    )
    assert (s.execution.default_timeout, s.execution.module_namespace) == (3, "ws_x")
    assert s.logging == LogSettings(
        level="debug", destination="file", file=tmp_path / "server.log", access_log=True
    )
    assert s.secret_values == ("s3cret",)
    assert s == Settings(
        root=tmp_path,
        http=HttpSettings(host="0.0.0.0", port=0),
        security=s.security,
        execution=ExecutionSettings(default_timeout=3, module_namespace="ws_x"),
        logging=s.logging,
    )


def test_with_options_replaces_only_what_it_names(tmp_path: Path) -> None:
    base = Settings.of(tmp_path, port=9000, json_response=True, cors_allow_origins=("https://a.example",))
    moved = base.with_options(port=9001, cors_max_age=1)
    assert (moved.http.port, moved.http.json_response) == (9001, True)
    assert moved.security.cors == CorsSettings(allow_origins=("https://a.example",), max_age=1)
    assert (base.http.port, base.security.cors.max_age) == (9000, 600)
    assert base.with_options() is base


def test_unknown_option_is_a_type_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="'prot'"):
        Settings.of(tmp_path, prot=1)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("options", "key", "message"),
    [
        ({"port": 70000}, "port", "port must be between 0 and 65535, got 70000"),
        ({"protocol_mode": "sometimes"}, "protocol_mode", "unknown protocol mode 'sometimes'"),
        ({"max_request_size": 0}, "max_request_size", "max_request_size must be a positive number of bytes"),
        (
            {"graceful_shutdown_timeout": -1},
            "graceful_shutdown_timeout",
            "graceful_shutdown_timeout must be >= 0",
        ),
        ({"request_state_key": "short"}, "server.request_state_key", "at least 32 bytes"),
        ({"default_timeout": 0}, "default_timeout", "default_timeout must be a positive number of seconds"),
        ({"node_workers": 0}, "node_workers", "node_workers must be at least 1"),
        ({"thread_pool_size": 0}, "thread_pool_size", "thread_pool_size must be at least 1"),
        ({"module_namespace": "my-ws"}, "module_namespace", "module_namespace must be a Python identifier"),
        ({"log_level": "loud"}, "log_level", "unknown log level 'loud'"),
        (
            {"log_destination": "file"},
            "logging.file",
            "logging.destination is file but logging.file is not set",
        ),
    ],
)
def test_invalid_values_name_their_config_key(
    tmp_path: Path, options: dict[str, Any], key: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        Settings.of(tmp_path, **options)
    assert info.value.key == key


def test_loopback_follows_the_host(tmp_path: Path) -> None:
    assert Settings(root=tmp_path).loopback
    assert Settings.of(tmp_path, host="[::1]").loopback
    assert not Settings.of(tmp_path, host="0.0.0.0").loopback


def test_config_sections_map_onto_the_parts(tmp_path: Path) -> None:
    overrides = [
        "server.port=9100",
        "server.fast_path=false",
        "server.allowed_origins=https://a.example",
        "server.cors.allow_origins=https://b.example",
        "server.cors.allow_credentials=true",
        "server.request_timeout=12",
        "server.node_workers=3",
        "tools.add.config.unit=cm",
        "logging.destination=file",
        "logging.file=logs/server.log",
        "logging.format=json",
    ]
    s = settings_from_config(load_config(tmp_path, environ={}, overrides=overrides).config, tmp_path)
    assert (s.http.port, s.http.fast_path) == (9100, False)
    assert s.security.allowed_origins == ("https://a.example",)
    assert s.security.cors.allow_origins == ("https://b.example",)
    assert s.security.cors.allow_credentials is True
    assert (s.execution.default_timeout, s.execution.node_workers) == (12.0, 3)
    assert s.execution.tool_settings == {"add": {"unit": "cm"}}
    assert s.logging == LogSettings(format="json", destination="file", file=tmp_path / "logs" / "server.log")
