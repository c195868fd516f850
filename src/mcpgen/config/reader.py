"""Safe reading of one config file (YAML or JSON) into plain data plus the line of every key.

Only the YAML core schema is accepted: maps, lists, strings, numbers, booleans
and null. Any other tag (``!!python/object``, ``!custom``, ``!!binary``) is
rejected, and so is a document whose aliases expand past a small budget (the
"billion laughs" attack): the node graph is composed without expansion, then
walked here with a counter, so a hostile document fails in microseconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from mcpgen.errors import ConfigError

MAX_NODES = 10_000
"""Most nodes a document may expand to (aliases count each time they are used)."""
MAX_ALIASES = 100
"""Most alias uses (``*name``) in a document."""
MAX_BYTES = 1024 * 1024
"""Largest config file read (parsing is linear, but a config has no business being this big)."""

CONFIG_TOP = "a map of sections (server, logging, …)"
"""What the top level of a config file must be (the error for a document that is not a map says so)."""

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_CORE}{name}" for name in ("str", "int", "float", "bool", "null")}
_TIMESTAMP = f"{_CORE}timestamp"
_MERGE = f"{_CORE}merge"

Path_ = tuple[str, ...]


@dataclass
class Document:
    """A parsed file: its data (a mapping) and the 1-based line each dotted key is set on."""

    data: dict[str, Any]
    lines: dict[Path_, int] = field(default_factory=dict)


def _tag(node: Node) -> str:
    tag = node.tag
    return str(getattr(tag, "value", tag))


def _shown(tag: str) -> str:
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag


class _Walker:
    """Turns a composed node graph into plain data, enforcing the tag and alias budgets."""

    def __init__(self, where: str, max_nodes: int, max_aliases: int) -> None:
        self.where = where
        self.max_nodes = max_nodes
        self.max_aliases = max_aliases
        self.nodes = 0
        self.aliases = 0
        self.seen: set[int] = set()
        self.active: set[int] = set()
        self.lines: dict[Path_, int] = {}
        self.scalar = YAML(typ="safe", pure=True).constructor

    def fail(self, node: Node, problem: str) -> ConfigError:
        mark = node.start_mark
        return ConfigError(f"{self.where}:{mark.line + 1}:{mark.column + 1}: {problem}")

    def walk(self, node: Node, path: Path_) -> Any:
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise self.fail(
                node, f"document too large (more than {self.max_nodes} nodes after expanding aliases)"
            )
        if id(node) in self.seen:
            self.aliases += 1
            if self.aliases > self.max_aliases:
                raise self.fail(node, f"too many aliases (more than {self.max_aliases})")
        if id(node) in self.active:
            raise self.fail(node, "recursive alias")
        self.seen.add(id(node))
        self.active.add(id(node))
        try:
            return self._value(node, path)
        finally:
            self.active.discard(id(node))

    def _value(self, node: Node, path: Path_) -> Any:
        tag = _tag(node)
        if isinstance(node, MappingNode):
            if tag != f"{_CORE}map":
                raise self.fail(
                    node, f"tag {_shown(tag)} is not allowed (only plain maps, lists and scalars)"
                )
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            if tag != f"{_CORE}seq":
                raise self.fail(
                    node, f"tag {_shown(tag)} is not allowed (only plain maps, lists and scalars)"
                )
            return [self.walk(item, (*path, str(i))) for i, item in enumerate(node.value)]
        if isinstance(node, ScalarNode):
            if tag == _TIMESTAMP:
                return str(node.value)
            if tag not in _SCALAR_TAGS:
                raise self.fail(
                    node, f"tag {_shown(tag)} is not allowed (only plain maps, lists and scalars)"
                )
            return self.scalar.construct_object(node, deep=True)
        raise self.fail(node, "unsupported YAML node")  # pragma: no cover - composer yields only these

    def _mapping(self, node: MappingNode, path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and _tag(key_node) == _MERGE:
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    value = self.walk(source, path)
                    if not isinstance(value, dict):
                        raise self.fail(value_node, "a merge key (<<) needs a map or a list of maps")
                    merged = {**value, **merged}
                continue
            if not isinstance(key_node, ScalarNode) or _tag(key_node) not in _SCALAR_TAGS:
                raise self.fail(key_node, "keys must be plain scalars")
            key = str(key_node.value)
            if key in result:
                raise self.fail(key_node, f"duplicate key {key!r}")
            self.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = self.walk(value_node, (*path, key))
        return {**merged, **result}


def parse_yaml(
    text: str,
    where: str,
    *,
    max_nodes: int = MAX_NODES,
    max_aliases: int = MAX_ALIASES,
    expected: str = CONFIG_TOP,
) -> Document:
    """Parse YAML ``text`` (``where`` names it in errors, e.g. "config/config.yaml") into a :class:`Document`.

    ``expected`` describes the top-level map in the error for a document that is not one.
    """
    try:
        root = YAML(typ="safe", pure=True).compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark is not None else where
        raise ConfigError(f"{at}: invalid YAML: {exc.problem or exc.context}") from exc
    except YAMLError as exc:
        raise ConfigError(f"{where}: invalid YAML: {exc}") from exc
    if root is None:
        return Document({})
    walker = _Walker(where, max_nodes, max_aliases)
    data = walker.walk(root, ())
    if not isinstance(data, dict):
        raise walker.fail(root, f"expected {expected} at the top level")
    return Document(data, walker.lines)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def parse_json(text: str, where: str) -> Document:
    """Parse JSON ``text``; errors carry line and column. Keys have no line numbers."""
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"{where}: invalid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected an object of sections (server, logging, …) at the top level")
    return Document(data)


def read_document(path: Path, where: str, *, expected: str = CONFIG_TOP) -> Document:
    """Read and parse ``path`` (``.json`` as JSON, anything else as YAML); ``expected`` as in :func:`parse_yaml`."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ConfigError(f"{where}: file too large (more than {MAX_BYTES} bytes)")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read: {exc}") from exc
    return parse_json(text, where) if path.suffix == ".json" else parse_yaml(text, where, expected=expected)
