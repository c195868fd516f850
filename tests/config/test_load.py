from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from mcpgen.config import Config, load_config
from mcpgen.errors import ConfigError
from mcpgen.runtime.settings import Settings, settings_from_config

from .conftest import Write

SECRET = "sk-live-TOPSECRETVALUE-z9"
LAYERS = ("default", "base", "overlay", "env", "set")
PORTS = {"default": 8080, "base": 1001, "overlay": 1002, "env": 1003, "set": 1004}
SOURCES = {
    "default": "default",
    "base": "config/config.yaml:2",
    "overlay": "config/config.dev.yaml:2",
    "env": "env MCPGEN_SERVER__PORT",
    "set": "--set",
}


def _load_with(layers: set[str], workspace: Path, write: Write):  # type: ignore[no-untyped-def]
    if "base" in layers:
        write("config.yaml", f"server:\n  port: {PORTS['base']}\n")
    if "overlay" in layers:
        write("config.dev.yaml", f"server:\n  port: {PORTS['overlay']}\n")
    environ = {"MCPGEN_SERVER__PORT": str(PORTS["env"])} if "env" in layers else {}
    overrides = [f"server.port={PORTS['set']}"] if "set" in layers else []
    return load_config(workspace, env="dev", environ=environ, overrides=overrides)


@pytest.mark.parametrize(("lower", "higher"), list(itertools.combinations(LAYERS, 2)))
def test_precedence_every_layer_against_every_other(
    lower: str, higher: str, workspace: Path, write: Write
) -> None:
    loaded = _load_with({lower, higher} - {"default"}, workspace, write)
    assert loaded.config.server.port == PORTS[higher]
    assert loaded.sources["server.port"] == SOURCES[higher]


def test_all_layers_together_highest_wins_per_key(workspace: Path, write: Write) -> None:
    write("config.yaml", "server:\n  port: 1\n  host: base\nlogging:\n  level: warning\n  format: json\n")
    write("config.dev.yaml", "server:\n  port: 2\nlogging:\n  level: debug\n")
    loaded = load_config(
        workspace,
        env="dev",
        environ={"MCPGEN_SERVER__PORT": "3", "MCPGEN_LOGGING__ACCESS_LOG": "true"},
        overrides=["server.port=4"],
    )
    c = loaded.config
    assert (c.server.port, c.server.host, c.logging.level, c.logging.format, c.logging.access_log) == (
        4,
        "base",
        "debug",
        "json",
        True,
    )
    assert loaded.sources["server.host"] == "config/config.yaml:3"
    assert loaded.sources["logging.level"] == "config/config.dev.yaml:4"
    assert loaded.sources["logging.access_log"] == "env MCPGEN_LOGGING__ACCESS_LOG"
    assert loaded.sources["server.workers"] == "default"
    assert loaded.files == [workspace / "config/config.yaml", workspace / "config/config.dev.yaml"]


def test_no_config_folder_means_defaults(tmp_path: Path) -> None:
    loaded = load_config(tmp_path, environ={})
    assert loaded.config == Config()
    assert loaded.files == []
    assert set(loaded.sources.values()) == {"default"}


def test_defaults_match_the_runtime_settings() -> None:
    config, settings = Config(), Settings(root=Path("."))
    assert config.server.host == settings.http.host == "127.0.0.1"
    assert config.server.port == settings.http.port == 8080
    assert config.server.protocol_mode == settings.http.protocol_mode == "auto"
    assert config.server.request_timeout == settings.execution.default_timeout == 30.0
    assert config.server.max_request_size == settings.http.max_request_size == 4 * 1024 * 1024
    assert config.server.graceful_shutdown_timeout == settings.http.graceful_shutdown_timeout == 10.0
    assert config.server.thread_pool_size == settings.execution.thread_pool_size
    assert config.logging.level == settings.logging.level
    assert config.logging.access_log is settings.logging.access_log
    assert settings_from_config(config, Path(".")) == settings  # every part, CORS included


def test_env_selected_by_mcpgen_env_and_argument_wins(workspace: Path, write: Write) -> None:
    write("config.staging.yaml", "server:\n  port: 7\n")
    write("config.prod.yaml", "server:\n  port: 8\n")
    assert load_config(workspace, environ={"MCPGEN_ENV": "staging"}).config.server.port == 7
    loaded = load_config(workspace, env="prod", environ={"MCPGEN_ENV": "staging"})
    assert (loaded.env, loaded.config.server.port) == ("prod", 8)
    assert load_config(workspace, env="missing", environ={}).config.server.port == 8080


@pytest.mark.parametrize("env", ["../etc", "a/b", "", "x y"])
def test_env_name_must_be_plain(env: str, workspace: Path) -> None:
    with pytest.raises(ConfigError, match="environment name"):
        load_config(workspace, env=env, environ={})


def test_lists_merge_by_replacement_or_append(workspace: Path, write: Write) -> None:
    write("config.yaml", "server:\n  allowed_hosts: [a]\nplugins:\n  paths: [p1]\n")
    write("config.dev.yaml", "server:\n  allowed_hosts: [b]\nplugins:\n  paths: [p2]\n")
    loaded = load_config(workspace, env="dev", environ={"MCPGEN_PLUGINS__PATHS": "[p3]"})
    assert loaded.config.server.allowed_hosts == ["b"]
    assert loaded.config.plugins.paths == ["p1", "p2", "p3"]


def test_string_values_are_coerced_by_field_type(workspace: Path) -> None:
    loaded = load_config(
        workspace,
        environ={
            "MCPGEN_SERVER__ALLOWED_ORIGINS": '["https://a.example", "https://b.example"]',
            "MCPGEN_SERVER__ALLOWED_HOSTS": "a.example, b.example",
            "MCPGEN_SERVER__MAX_REQUEST_SIZE": "1MiB",
            "MCPGEN_SERVER__JSON_RESPONSE": "yes",
            "MCPGEN_FEATURES__BETA": "1",
            "MCPGEN_SERVICES__NOTION__EXTRAS": "{region: eu, retries: 3}",
            "MCPGEN_TOOLS__SUMMARIZE__ENABLED": "false",
        },
        overrides=["server.cors.allow_origins=[a, b]", "server.request_timeout=2.5", "logging.level=WARNING"],
    )
    c = loaded.config
    assert c.server.allowed_origins == ["https://a.example", "https://b.example"]
    assert c.server.allowed_hosts == ["a.example", "b.example"]
    assert c.server.max_request_size == 1024 * 1024
    assert c.server.json_response is True
    assert c.features == {"beta": True}
    assert c.services["notion"].extras == {"region": "eu", "retries": 3}
    assert c.tools["summarize"].enabled is False
    assert c.server.cors.allow_origins == ["a", "b"]
    assert c.server.request_timeout == 2.5
    assert c.logging.level == "warning"


def test_substitution_in_files(workspace: Path, write: Write) -> None:
    write(
        "config.yaml",
        "server:\n  port: ${PORT:-9000}\n  host: $${HOST}\nservices:\n  s:\n    api_key: ${KEY}\n",
    )
    loaded = load_config(workspace, environ={"KEY": SECRET})
    assert loaded.config.server.port == 9000
    assert loaded.config.server.host == "${HOST}"
    assert loaded.config.services["s"].api_key is not None
    assert loaded.config.services["s"].api_key.get_secret_value() == SECRET


def test_env_and_set_values_are_not_substituted(workspace: Path) -> None:
    loaded = load_config(
        workspace, environ={"MCPGEN_SERVER__HOST": "${X}", "X": "no"}, overrides=["logging.file=${X}"]
    )
    assert loaded.config.server.host == "${X}"
    assert loaded.config.logging.file == "${X}"


def test_undefined_variables_are_all_reported_with_key_path(workspace: Path, write: Write) -> None:
    write("config.yaml", "database:\n  url: ${DATABASE_URL}\nservices:\n  s:\n    api_key: ${S_KEY}\n")
    with pytest.raises(ConfigError) as info:
        load_config(workspace, environ={})
    message = str(info.value)
    assert "config/config.yaml: database.url: environment variable DATABASE_URL is not set" in message
    assert "config/config.yaml: services.s.api_key: environment variable S_KEY is not set" in message
    assert info.value.key == "database.url"


def test_yaml_syntax_error_reports_file_line_column(workspace: Path, write: Write) -> None:
    write("config.yaml", "server:\n  port: 1\n  host: a: b\n")
    with pytest.raises(ConfigError, match=r"config/config\.yaml:3:10: invalid YAML"):
        load_config(workspace, environ={})


def test_schema_errors_name_the_key_what_was_expected_and_where(workspace: Path, write: Write) -> None:
    write("config.yaml", "server:\n  port: 70000\n  hots: x\nlogging:\n  format: xml\n")
    with pytest.raises(ConfigError) as info:
        load_config(workspace, environ={"MCPGEN_SERVER__WORKERS": "many"})
    message = str(info.value)
    assert "server.port: expected less than or equal to 65535 (from config/config.yaml:2)" in message
    assert "server.hots: unknown key; expected one of: host, port," in message
    assert "(from config/config.yaml:3)" in message
    assert "logging.format: expected 'json' or 'text' (from config/config.yaml:5)" in message
    assert "server.workers: expected a valid integer" in message
    assert "(from env MCPGEN_SERVER__WORKERS)" in message
    assert "many" not in message
    assert info.value.key == "server.port"


def test_unknown_keys_rejected_except_in_free_form_maps(workspace: Path, write: Write) -> None:
    write(
        "config.yaml", "features:\n  anything_goes: true\nservices:\n  s:\n    extras: {any: {thing: [1]}}\n"
    )
    assert load_config(workspace, environ={}).config.features == {"anything_goes": True}
    with pytest.raises(
        ConfigError, match=r"services\.s\.nope: unknown key; expected one of: api_key, endpoint"
    ):
        load_config(workspace, environ={"MCPGEN_SERVICES__S__NOPE": "1"})
    with pytest.raises(
        ConfigError, match=r"server\.cors\.nope: unknown key; expected one of: allow_origins,"
    ):
        load_config(workspace, environ={}, overrides=["server.cors.nope=1"])
    write("config.yaml", "nosuch: 1\n")
    with pytest.raises(ConfigError, match=r"nosuch: unknown key; expected one of: server, logging"):
        load_config(workspace, environ={})


def test_errors_never_contain_secrets(workspace: Path, write: Write) -> None:
    write("config.yaml", "services:\n  s:\n    api_key: ${KEY}\n    timeout: ${KEY}\n")
    with pytest.raises(ConfigError) as info:
        load_config(workspace, environ={"KEY": SECRET, "MCPGEN_DATABASE__URL": f"ftp://u:{SECRET}@h/"})
    message = str(info.value)
    assert "services.s.timeout" in message
    assert "database" in message
    assert "TOPSECRET" not in message


def test_set_errors_are_collected(workspace: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(workspace, environ={}, overrides=["nodot", "a.b", "server.port=1"])
    message = str(info.value)
    assert "--set nodot: expected section.key=value" in message
    assert "--set a.b: expected section.key=value" in message


def test_database_rules(workspace: Path) -> None:
    with pytest.raises(ConfigError, match="url is required when type is 'postgres'"):
        load_config(workspace, environ={"MCPGEN_DATABASE__TYPE": "postgres"})
    with pytest.raises(ConfigError, match="pool_min must not exceed pool_max"):
        load_config(workspace, environ={}, overrides=["database.pool_min=5", "database.pool_max=2"])
    url = "postgresql://app:hunter2hunter2@db/app"
    loaded = load_config(
        workspace, environ={"MCPGEN_DATABASE__TYPE": "postgres", "MCPGEN_DATABASE__URL": url}
    )
    assert loaded.to_data()["database"]["url"] == "postgresql://app:********@db/app"
    assert loaded.to_data(reveal=True)["database"]["url"] == url


def test_to_data_masks_secrets_and_is_plain(workspace: Path, write: Write) -> None:
    write("config.yaml", "services:\n  s:\n    api_key: ${KEY}\ncredentials:\n  SHORT: abc\n")
    loaded = load_config(workspace, environ={"KEY": SECRET})
    data = loaded.to_data()
    assert data["services"]["s"]["api_key"] == "sk…z9"
    assert data["credentials"]["SHORT"] == "********"
    assert "TOPSECRET" not in repr(data)
    assert "TOPSECRET" not in repr(loaded)
    assert type(data["server"]["max_request_size"]) is int
    assert loaded.to_data(reveal=True)["services"]["s"]["api_key"] == SECRET


def test_more_than_one_file_per_name_is_an_error(workspace: Path, write: Write) -> None:
    write("config.yaml", "{}\n")
    write("config.json", "{}\n")
    with pytest.raises(ConfigError, match="more than one config file"):
        load_config(workspace, environ={})


def test_json_config_file(workspace: Path, write: Write) -> None:
    write("config.json", '{"server": {"port": "${P:-81}"}}')
    loaded = load_config(workspace, environ={})
    assert loaded.config.server.port == 81
    assert loaded.sources["server.port"] == "config/config.json"


def test_python_tag_in_config_file_is_rejected(workspace: Path, write: Write) -> None:
    write("config.yaml", "server: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError, match=r"config/config\.yaml:1:9: tag !!python/object/apply:os\.system"):
        load_config(workspace, environ={})


def test_a_service_rate_limit_may_say_its_window(workspace: Path, write: Write) -> None:
    write("config.yaml", "services:\n  notion:\n    rate_limit: 3/second\n  slack:\n    rate_limit: 50\n")
    services = load_config(workspace, environ={"MCPGEN_SERVICES__GMAIL__RATE_LIMIT": "250"}).config.services
    assert (services["notion"].rate_limit, services["slack"].rate_limit) == (180.0, 50.0)
    assert services["gmail"].rate_limit == 250.0
    write("config.yaml", "services:\n  notion:\n    rate_limit: 3/fortnight\n")
    with pytest.raises(
        ConfigError, match=r"services\.notion\.rate_limit: the rate must look like .*config\.yaml:3"
    ):
        load_config(workspace, environ={})
