from __future__ import annotations

import pytest

from mcpgen.config.layers import Layer, append_paths, env_layer, merge_layers, set_layer


def test_env_vars_map_to_nested_lower_case_keys() -> None:
    layer, problems = env_layer(
        {
            "MCPGEN_SERVER__PORT": "9000",
            "MCPGEN_SERVICES__NOTION__TIMEOUT": "5",
            "mcpgen_logging__level": "DEBUG",
            "MCPGEN_CREDENTIALS__API_TOKEN": "t",
        }
    )
    assert problems == []
    assert layer.data == {
        "server": {"port": "9000"},
        "services": {"notion": {"timeout": "5"}},
        "logging": {"level": "DEBUG"},
        "credentials": {"API_TOKEN": "t"},  # credential names keep their case
    }
    assert layer.sources[("server", "port")] == "env MCPGEN_SERVER__PORT"


@pytest.mark.parametrize(
    "name",
    [
        "MCPGEN_ENV",
        "MCPGEN_SECRET_KEY",
        "MCPGEN_MANIFEST",
        "MCPGEN_PORT",
        "MCPGEN_SERVER_PORT",
        "PORT",
        "XMCPGEN_SERVER__PORT",
    ],
)
def test_other_variables_are_not_config(name: str) -> None:
    layer, problems = env_layer({name: "1"})
    assert (layer.data, problems) == ({}, [])


def test_env_problems_are_collected() -> None:
    _, problems = env_layer(
        {"MCPGEN_SERVER____PORT": "1", "MCPGEN_SERVER__CORS": "[]", "MCPGEN_SERVER__CORS__MAX_AGE": "1"}
    )
    assert len(problems) == 2
    assert any("env MCPGEN_SERVER____PORT: empty key" in p for p in problems)
    assert any("server.cors.max_age conflicts with server.cors" in p for p in problems)


def test_set_overrides_parse_and_last_wins() -> None:
    layer, problems = set_layer(["server.port=1", "server.port=2", "server.host=a=b", "features.x="])
    assert problems == []
    assert layer.data == {"server": {"port": "2", "host": "a=b"}, "features": {"x": ""}}
    assert layer.sources[("server", "port")] == "--set"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("nodot", "--set nodot: expected section.key=value (missing '=')"),
        ("a.b", "--set a.b: expected section.key=value (missing '=')"),
        ("nodot=1", "--set nodot: expected a dotted key"),
        ("server..port=1", "--set server..port: expected a dotted key"),
        ("=1", "expected a dotted key"),
        ("nosuch.key=1", "--set nosuch.key: unknown section 'nosuch'"),
    ],
)
def test_set_parse_errors(item: str, message: str) -> None:
    _, problems = set_layer([item])
    assert len(problems) == 1
    assert message in problems[0]


def test_merge_deep_merges_maps_and_replaces_scalars_and_lists() -> None:
    low = Layer({"server": {"host": "a", "port": 1, "allowed_hosts": ["x"]}}, {("server", "host"): "low"})
    high = Layer({"server": {"port": 2, "allowed_hosts": ["y"]}}, {("server", "port"): "high"})
    merged = merge_layers([low, high])
    assert merged.data == {"server": {"host": "a", "port": 2, "allowed_hosts": ["y"]}}
    assert merged.sources == {("server", "host"): "low", ("server", "port"): "high"}
    assert low.data["server"]["port"] == 1  # inputs untouched


def test_merge_appends_marked_lists() -> None:
    assert ("plugins", "paths") in append_paths()
    one = Layer({"plugins": {"paths": ["a"]}}, {("plugins", "paths"): "one"})
    two = Layer({"plugins": {"paths": ["b"]}}, {("plugins", "paths"): "two"})
    assert merge_layers([one, two]).data == {"plugins": {"paths": ["a", "b"]}}


def test_a_scalar_replacing_a_map_drops_its_sources() -> None:
    low = Layer({"features": {"a": True}}, {("features", "a"): "low"})
    high = Layer({"features": "{b: true}"}, {("features",): "high"})
    merged = merge_layers([low, high])
    assert merged.data == {"features": "{b: true}"}
    assert merged.sources == {("features",): "high"}
