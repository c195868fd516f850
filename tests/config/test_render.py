from __future__ import annotations

import re
from pathlib import Path

import pytest

from mcpgen.config import Config, load_config, render_config
from mcpgen.config.reference import FieldDoc, field_tree
from mcpgen.config.render import yaml_value
from mcpgen.errors import ConfigError
from mcpgen.manifest.models import Credential

from .conftest import Write

CREDENTIALS = [
    Credential(
        name="TRANSLATION_API_KEY",
        kind="api_key",
        required=False,
        description="Key for the translation API.",
        declared_by=["tools/translate.py"],
    ),
    Credential(
        name="NOTION_TOKEN",
        kind="token",
        description="Notion integration token.",
        pattern="^secret_",
        declared_by=["connectors/notion.py", "tools/notes.py"],
    ),
]


def _leaves(docs: tuple[FieldDoc, ...]) -> list[FieldDoc]:
    out: list[FieldDoc] = []
    for doc in docs:
        out += _leaves(doc.children) if doc.is_section else [doc]
    return out


def test_base_round_trips_to_the_defaults(workspace: Path, write: Write) -> None:
    write("config.yaml", render_config(CREDENTIALS, "base", server_name="demo"))
    loaded = load_config(workspace, environ={"NOTION_TOKEN": "secret_abcdefgh"})
    assert loaded.config.model_copy(update={"credentials": {}}) == Config()
    creds = {k: v.get_secret_value() for k, v in loaded.config.credentials.items()}
    assert creds == {"NOTION_TOKEN": "secret_abcdefgh", "TRANSLATION_API_KEY": ""}


def test_base_requires_required_credentials_only(workspace: Path, write: Write) -> None:
    write("config.yaml", render_config(CREDENTIALS, "base", server_name="demo"))
    with pytest.raises(ConfigError) as info:
        load_config(workspace, environ={})
    assert "credentials.NOTION_TOKEN: environment variable NOTION_TOKEN is not set" in str(info.value)
    assert "TRANSLATION_API_KEY" not in str(info.value)


def _comments_by_path(text: str) -> dict[str, list[str]]:
    """For every ``key:`` line of a rendered file, its dotted path and the comment lines right above it."""
    found: dict[str, list[str]] = {}
    stack: list[str] = []
    comments: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comments.append(stripped)
            continue
        match = re.match(r"^( *)([A-Za-z_]+):", line)
        if match:
            depth = len(match.group(1)) // 2
            stack[depth:] = [match.group(2)]
            found[".".join(stack)] = comments
        comments = []
    return found


def test_every_field_has_comments_above_it() -> None:
    found = _comments_by_path(render_config([], "base", server_name="demo"))
    for doc in _leaves(field_tree()):
        comments = found[doc.dotted]
        assert comments[0] == f"# {doc.description}", doc.dotted
        if doc.is_map and doc.children:  # services/tools: description, env, then a commented example
            assert comments[1] == f"# Env: {doc.env_var}__<NAME>__<KEY>", doc.dotted
            assert comments[2] == "# Example:", doc.dotted
        elif doc.key != "credentials":
            assert comments[-1] == f"# Valid: {doc.valid}. Env: {doc.env_var}", doc.dotted
    for section in field_tree():
        if section.is_section:
            assert found[section.dotted] == [f"# {section.description}", f"# Env: {section.env_var}__<KEY>"]


def test_credentials_are_commented_placeholders() -> None:
    text = render_config(CREDENTIALS, "base", server_name="demo")
    block = text.split("\ncredentials:\n", 1)[1]
    assert '  NOTION_TOKEN: "${NOTION_TOKEN}"' in block
    assert '  TRANSLATION_API_KEY: "${TRANSLATION_API_KEY:-}"' in block
    assert (
        "  # Notion integration token.\n  # kind: token; required; declared by connectors/notion.py, tools/notes.py."
        in block
    )
    assert "  # Valid: matches ^secret_." in block
    assert "  # kind: api_key; optional; declared by tools/translate.py." in block
    assert block.index("NOTION_TOKEN") < block.index("TRANSLATION_API_KEY")


def test_no_credentials_renders_an_empty_map() -> None:
    assert "\ncredentials: {}\n" in render_config([], "base", server_name="demo")


def test_dev_overlay(workspace: Path, write: Write) -> None:
    write("config.yaml", render_config([], "base", server_name="demo"))
    text = render_config([], "dev", server_name="demo")
    write("config.dev.yaml", text)
    c = load_config(workspace, env="dev", environ={}).config
    assert (c.logging.level, c.logging.format, c.server.host) == ("debug", "text", "127.0.0.1")
    assert c.server.cors.allow_origins == ["*"]
    assert c.database.type == "sqlite"
    assert "protocol_mode" not in text  # overlays hold only what they change
    assert '# Valid: one of json, text. Default: "text". Env: MCPGEN_LOGGING__FORMAT' in text


def test_prod_overlay_needs_database_url(workspace: Path, write: Write) -> None:
    write("config.yaml", render_config([], "base", server_name="demo"))
    write("config.prod.yaml", render_config([], "prod", server_name="demo"))
    with pytest.raises(ConfigError, match=r"database\.url: environment variable DATABASE_URL is not set"):
        load_config(workspace, env="prod", environ={})
    url = "postgresql://app:pw-0123456789@db/app"
    c = load_config(workspace, env="prod", environ={"DATABASE_URL": url}).config
    assert (c.logging.format, c.database.type, c.server.host) == ("json", "postgres", "0.0.0.0")
    assert c.database.url is not None
    assert c.database.url.get_secret_value() == url
    assert c.server.allowed_origins == []
    assert c.server.cors.allow_origins == []


def test_header_names_server_and_variant() -> None:
    text = render_config([], "prod", server_name="my\nserver")
    assert text.splitlines()[1].startswith("# my server: Production overlay")
    with pytest.raises(ValueError, match="unknown config variant"):
        render_config([], "staging", server_name="x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (1.5, "1.5"),
        ('a"b', '"a\\"b"'),
        (["x", 1], '["x", 1]'),
        ({"k": 1}, "{k: 1}"),
        ({"yes": 1}, '{"yes": 1}'),
    ],
)
def test_yaml_value(value: object, text: str) -> None:
    assert yaml_value(value) == text


def test_rendered_files_are_plain_yaml_without_tabs_or_trailing_spaces() -> None:
    for variant in ("base", "dev", "prod"):
        text = render_config(CREDENTIALS, variant, server_name="demo")  # type: ignore[arg-type]
        assert not re.search(r"[ \t]+$", text, re.MULTILINE), variant
        assert text.endswith("\n")
