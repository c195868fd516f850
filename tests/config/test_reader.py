from __future__ import annotations

import time
from pathlib import Path

import pytest

from mcpgen.config.reader import MAX_BYTES, parse_json, parse_yaml, read_document
from mcpgen.errors import ConfigError

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_plain_yaml_with_lines() -> None:
    doc = parse_yaml("server:\n  port: 9000\n  hosts: [a, b]\nfeatures:\n  x: true\n", "f.yaml")
    assert doc.data == {"server": {"port": 9000, "hosts": ["a", "b"]}, "features": {"x": True}}
    assert doc.lines[("server", "port")] == 2
    assert doc.lines[("features", "x")] == 5


def test_empty_document_is_an_empty_map() -> None:
    assert parse_yaml("# only a comment\n", "f.yaml").data == {}


def test_syntax_error_has_file_line_and_column() -> None:
    with pytest.raises(
        ConfigError, match=r"^config/config\.yaml:3:10: invalid YAML: mapping values are not allowed"
    ):
        parse_yaml("server:\n  port: 1\n  host: a: b\n", "config/config.yaml")


def test_billion_laughs_is_rejected_fast() -> None:
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=r"too many aliases|too large"):
        parse_yaml(BILLION_LAUGHS, "bomb.yaml")
    assert time.perf_counter() - start < 0.5


def test_wide_document_without_aliases_hits_the_node_budget() -> None:
    text = "features:\n" + "".join(f"  f{i}: true\n" for i in range(30))
    assert len(parse_yaml(text, "big.yaml", max_nodes=32).data["features"]) == 30
    with pytest.raises(ConfigError, match=r"big\.yaml:\d+:\d+: document too large \(more than 31 nodes"):
        parse_yaml(text, "big.yaml", max_nodes=31)


def test_oversized_file_is_not_parsed(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("a: " + "x" * (MAX_BYTES + 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="file too large"):
        read_document(path, "huge.yaml")


def test_a_few_aliases_are_fine_and_merge_keys_work() -> None:
    text = "base: &b {timeout: 5, endpoint: 'https://x'}\nservices:\n  one:\n    <<: *b\n    timeout: 7\n"
    data = parse_yaml(text, "f.yaml").data
    assert data["services"]["one"] == {"timeout": 7, "endpoint": "https://x"}


def test_recursive_alias_is_rejected() -> None:
    with pytest.raises(ConfigError, match="recursive alias"):
        parse_yaml("a: &a [*a]\n", "f.yaml")


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object:os.system {}\n",
        "a: !!python/object/apply:os.system ['echo hi']\n",
        "a: !!python/name:os.system\n",
        "a: !custom 1\n",
        "a: !!binary aGVsbG8=\n",
        "a: !!set {x}\n",
    ],
)
def test_non_standard_tags_are_rejected(text: str) -> None:
    with pytest.raises(ConfigError, match=r"f\.yaml:1:4: tag .* is not allowed"):
        parse_yaml(text, "f.yaml")


def test_duplicate_keys_are_rejected_with_position() -> None:
    with pytest.raises(ConfigError, match=r"f\.yaml:3:3: duplicate key 'port'"):
        parse_yaml("server:\n  port: 1\n  port: 2\n", "f.yaml")


def test_timestamps_stay_strings_and_yaml12_booleans() -> None:
    assert parse_yaml("a: 2024-01-01\nb: yes\nc: true\n", "f.yaml").data == {
        "a": "2024-01-01",
        "b": "yes",
        "c": True,
    }


def test_top_level_must_be_a_map() -> None:
    with pytest.raises(ConfigError, match="top level"):
        parse_yaml("- a\n- b\n", "f.yaml")


def test_json_files_and_their_errors(tmp_path: Path) -> None:
    assert parse_json('{"server": {"port": 1}}', "c.json").data == {"server": {"port": 1}}
    with pytest.raises(ConfigError, match=r"^c\.json:2:\d+: invalid JSON"):
        parse_json('{"server":\n  {"port": }}', "c.json")
    with pytest.raises(ConfigError, match="duplicate key"):
        parse_json('{"a": 1, "a": 2}', "c.json")
    path = tmp_path / "x.json"
    path.write_text('{"features": {"a": true}}', encoding="utf-8")
    assert read_document(path, "x.json").data == {"features": {"a": True}}


def test_alias_budget_applies_even_to_small_documents() -> None:
    ok = "a: &x 1\nb: [" + ", ".join(["*x"] * 100) + "]\n"
    assert len(parse_yaml(ok, "f.yaml").data["b"]) == 100
    with pytest.raises(ConfigError, match=r"f\.yaml:1:4: too many aliases \(more than 100\)"):
        parse_yaml(ok.replace("[", "[*x, "), "f.yaml")
