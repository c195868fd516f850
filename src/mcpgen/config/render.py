"""Rendering commented config files: ``config.yaml`` and its ``dev``/``prod`` overlays (pure).

Every field gets comments above it (what it is, valid values, the environment
variable that overrides it), taken from the model descriptions through
:func:`mcpgen.config.reference.field_tree`. The base file holds every default
plus a ``credentials`` map with a ``${NAME}`` placeholder for each credential a
module declares (``${NAME:-}`` when optional). Overlays hold only what differs
from the base.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from mcpgen.config.reference import FieldDoc, field_tree
from mcpgen.manifest.models import Credential

Variant = Literal["base", "dev", "prod"]
INDENT = "  "
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")

OVERLAYS: dict[str, dict[str, Any]] = {
    "dev": {
        "server": {
            "host": "127.0.0.1",
            "allowed_origins": ["http://localhost:*", "http://127.0.0.1:*"],
            "cors": {"allow_origins": ["*"]},
        },
        "logging": {"level": "debug", "format": "text"},
        "database": {"type": "sqlite", "url": "sqlite:///.mcpgen/dev.sqlite3"},
    },
    "prod": {
        "server": {
            "host": "0.0.0.0",
            "allowed_origins": [],
            "cors": {"allow_origins": [], "allow_credentials": False},
        },
        "logging": {"level": "info", "format": "json", "destination": "stdout"},
        "database": {"type": "postgres", "url": "${DATABASE_URL}"},
    },
}
"""What each overlay changes; everything else comes from ``config.yaml``."""

_TITLES = {
    "base": "Runtime configuration",
    "dev": "Development overlay (mcpgen dev, --env dev): debug text logs, localhost, permissive CORS, sqlite",
    "prod": "Production overlay (--env prod): JSON logs, external database from ${DATABASE_URL}, strict origins",
}


def yaml_value(value: Any) -> str:
    """A scalar or flow collection in YAML syntax (strings double-quoted, JSON-style)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{yaml_key(str(k))}: {yaml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(yaml_value(v) for v in value) + "]"
    raise TypeError(f"cannot render {type(value).__name__} as YAML")


def yaml_key(key: str) -> str:
    return (
        key
        if _PLAIN_KEY.match(key) and key.lower() not in {"true", "false", "null", "yes", "no"}
        else json.dumps(key)
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _comments(doc: FieldDoc, pad: str, *, show_default: bool) -> list[str]:
    lines = [f"{pad}# {_one_line(doc.description)}"] if doc.description else []
    if doc.is_section:
        return [*lines, f"{pad}# Env: {doc.env_var}__<KEY>"]
    if doc.is_map and doc.children:
        return [*lines, f"{pad}# Env: {doc.env_var}__<NAME>__<KEY>"]
    default = f" Default: {yaml_value(doc.default)}." if show_default else ""
    return [*lines, f"{pad}# Valid: {doc.valid}.{default} Env: {doc.env_var}"]


def _example(doc: FieldDoc, pad: str) -> list[str]:
    """A commented-out example entry for a map of sections (services, tools)."""
    lines = [f"{pad}# Example:", f"{pad}#   {doc.key}:", f"{pad}#     example:"]
    for child in doc.children:
        value = "${EXAMPLE_API_KEY}" if child.secret else child.default
        lines.append(f"{pad}#       {child.key}: {yaml_value(value)}  # {_one_line(child.description)}")
    return lines


def _fields(docs: Sequence[FieldDoc], values: Mapping[str, Any], depth: int, *, overlay: bool) -> list[str]:
    pad = INDENT * depth
    lines: list[str] = []
    for doc in docs:
        if overlay and doc.key not in values:
            continue
        value = values.get(doc.key, doc.default)
        if depth == 0 and lines:
            lines.append("")
        lines += _comments(doc, pad, show_default=overlay)
        if doc.is_section:
            lines.append(f"{pad}{doc.key}:")
            lines += _fields(doc.children, value or {}, depth + 1, overlay=overlay)
        elif doc.is_map and doc.children and value:
            lines.append(f"{pad}{doc.key}:")
            for name, entry in value.items():
                lines.append(f"{pad}{INDENT}{yaml_key(name)}:")
                lines += _fields(doc.children, entry, depth + 2, overlay=True)
        else:
            if doc.is_map and doc.children:
                lines += _example(doc, pad)
            lines.append(f"{pad}{doc.key}: {yaml_value(value)}")
    return lines


def _credential_lines(credentials: Sequence[Credential], doc: FieldDoc) -> list[str]:
    lines = [
        f"# {_one_line(doc.description)}",
        "# Each value is read from the environment variable of the same name (or the secret store);",
        f"# required ones must be set before the server starts. Env: {doc.env_var}",
    ]
    if not credentials:
        return [*lines, "credentials: {}"]
    lines.append("credentials:")
    for cred in sorted(credentials, key=lambda c: c.name):
        status = "required" if cred.required else "optional"
        about = _one_line(cred.description) or f"The {cred.name} credential."
        lines.append(f"{INDENT}# {about}")
        facts = [f"kind: {cred.kind}", status]
        if cred.declared_by:
            facts.append("declared by " + ", ".join(sorted(cred.declared_by)))
        lines.append(f"{INDENT}# {'; '.join(facts)}.")
        if cred.choices:
            lines.append(f"{INDENT}# Valid: one of {', '.join(cred.choices)}.")
        if cred.pattern:
            lines.append(f"{INDENT}# Valid: matches {cred.pattern}.")
        if cred.when:
            lines.append(f"{INDENT}# Needed when: {_one_line(cred.when)}.")
        placeholder = f"${{{cred.name}}}" if cred.required else f"${{{cred.name}:-}}"
        lines.append(f"{INDENT}{yaml_key(cred.name)}: {yaml_value(placeholder)}")
    return lines


def _header(variant: Variant, server_name: str) -> list[str]:
    target = "config/config.yaml" if variant == "base" else f"config/config.{variant}.yaml"
    return [
        "# yaml-language-server: $schema=./schema.json",
        f"# {_one_line(server_name)}: {_TITLES[variant]}.",
        f"# File: {target}. Schema: config/schema.json.",
        "# Generated by mcpgen; edit freely. Precedence, lowest first: defaults < config.yaml",
        "# < config.<env>.yaml < MCPGEN_<SECTION>__<KEY> environment variables < --set section.key=value.",
        "# In strings, ${NAME} is the environment variable NAME (${NAME:-default} when unset or empty);",
        "# $${...} is a literal ${...}. Reference: docs/configuration.md.",
        "",
    ]


def render_config(
    credentials: Sequence[Credential],
    variant: Variant,
    *,
    server_name: str,
    server: Mapping[str, Any] | None = None,
) -> str:
    """Commented YAML for ``config.yaml`` (``base``) or the ``dev``/``prod`` overlay.

    ``server``: values of the base file's ``server`` section other than the
    defaults (an image's ``allowed_hosts``, say).
    """
    if variant not in _TITLES:
        raise ValueError(f"unknown config variant {variant!r}; expected base, dev or prod")
    tree = field_tree()
    lines = _header(variant, server_name)
    if variant == "base":
        sections = [doc for doc in tree if doc.key != "credentials"]
        lines += _fields(sections, {"server": dict(server)} if server else {}, 0, overlay=False)
        credentials_doc = next(doc for doc in tree if doc.key == "credentials")
        lines += ["", *_credential_lines(credentials, credentials_doc)]
    else:
        lines += _fields(tree, OVERLAYS[variant], 0, overlay=True)
    return "\n".join(lines) + "\n"
