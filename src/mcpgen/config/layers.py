"""Configuration layers and how they merge, as pure functions over plain data.

A :class:`Layer` is a partial config (nested dicts) plus, for every key it
sets, where the value came from ("config/config.yaml:12", "env
MCPGEN_SERVER__PORT", "--set"). Layers merge lowest first: maps deep-merge,
scalars and lists replace, except list fields marked ``x-merge: append`` in the
schema, which concatenate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from mcpgen.config.models import APPEND, SECTIONS, Config, parse_list
from mcpgen.config.reader import Document

KeyPath = tuple[str, ...]
ENV_PREFIX = "MCPGEN_"
WILDCARD = "*"
"""Stands for any key of a map (``services.*.timeout``) in schema paths."""
_VERBATIM_SECTIONS = frozenset({"credentials"})
"""Sections whose keys keep their case when they come from environment variables."""


@dataclass
class Layer:
    """A partial config and the source of every key it sets."""

    data: dict[str, Any] = field(default_factory=dict)
    sources: dict[KeyPath, str] = field(default_factory=dict)


def dotted(path: Iterable[str]) -> str:
    return ".".join(path)


def model_of(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds, and whether it is a map of such models (``dict[str, Model]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    if get_origin(annotation) is dict:
        value = get_args(annotation)[1]
        if isinstance(value, type) and issubclass(value, BaseModel):
            return value, True
    return None, False


def append_paths(model: type[BaseModel] = Config, prefix: KeyPath = ()) -> frozenset[KeyPath]:
    """Schema paths (with ``*`` for map keys) of list fields that concatenate across layers."""
    found: set[KeyPath] = set()
    for name, info in model.model_fields.items():
        path = (*prefix, name)
        if info.json_schema_extra == APPEND:
            found.add(path)
        sub, is_map = model_of(info.annotation)
        if sub is not None:
            found |= append_paths(sub, (*path, WILDCARD) if is_map else path)
    return frozenset(found)


_APPEND = append_paths()


def _is_append(path: KeyPath) -> bool:
    return any(
        len(pattern) == len(path) and all(p in (WILDCARD, k) for p, k in zip(pattern, path, strict=True))
        for pattern in _APPEND
    )


def leaves(data: Mapping[str, Any], prefix: KeyPath = ()) -> Iterable[KeyPath]:
    """Paths of every non-map value in ``data`` (an empty map counts as a value)."""
    for key, value in data.items():
        path = (*prefix, key)
        if isinstance(value, Mapping) and value:
            yield from leaves(value, path)
        else:
            yield path


def file_layer(document: Document, label: str) -> Layer:
    """A layer from a parsed file; sources are ``label:line`` (the line of the key, or of its parent)."""
    sources: dict[KeyPath, str] = {}
    for path in leaves(document.data):
        line = next(
            (document.lines[path[:n]] for n in range(len(path), 0, -1) if path[:n] in document.lines), None
        )
        sources[path] = f"{label}:{line}" if line is not None else label
    return Layer(document.data, sources)


def _put(
    layer: Layer, path: KeyPath, value: str, source: str, problems: list[str], *, replace: bool = False
) -> None:
    node = layer.data
    for depth, key in enumerate(path[:-1]):
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            problems.append(
                f"{source}: {dotted(path)} conflicts with {dotted(path[: depth + 1])}, set as a value"
            )
            return
        node = child
    last = path[-1]
    if last in node and not replace:
        problems.append(
            f"{source}: {dotted(path)} is already set by {layer.sources.get(path, 'another setting')}"
        )
        return
    node[last] = value
    layer.sources[path] = source


def env_layer(environ: Mapping[str, str]) -> tuple[Layer, list[str]]:
    """``MCPGEN_SECTION__KEY[__SUBKEY…]=value`` variables; other MCPGEN_ variables are not config.

    Keys are case-insensitive and lower-cased, except below ``credentials``
    where names keep their case. Values stay strings; the schema coerces them.
    """
    layer, problems = Layer(), []
    for name in sorted(environ, key=lambda n: (n.count("__"), n)):
        if not name.upper().startswith(ENV_PREFIX):
            continue
        parts = name[len(ENV_PREFIX) :].split("__")
        section = parts[0].lower()
        if section not in SECTIONS:
            continue
        source = f"env {name}"
        if any(not part for part in parts):
            problems.append(f"{source}: empty key between '__' separators")
            continue
        rest = parts[1:] if section in _VERBATIM_SECTIONS else [part.lower() for part in parts[1:]]
        _put(layer, (section, *rest), environ[name], source, problems)
    return layer, problems


def set_layer(overrides: Sequence[str]) -> tuple[Layer, list[str]]:
    """``--set section.key=value`` overrides (values stay strings; the schema coerces them)."""
    layer, problems = Layer(), []
    for item in overrides:
        key, sep, value = item.partition("=")
        shown = key.strip() or item
        if not sep:
            problems.append(f"--set {shown}: expected section.key=value (missing '=')")
            continue
        path = tuple(key.strip().split("."))
        if len(path) < 2 or any(not part for part in path):
            problems.append(f"--set {shown}: expected a dotted key such as server.port before '='")
            continue
        if path[0] not in SECTIONS:
            problems.append(
                f"--set {shown}: unknown section {path[0]!r}; expected one of {', '.join(SECTIONS)}"
            )
            continue
        _put(layer, path, value, "--set", problems, replace=True)  # the last --set of a key wins
    return layer, problems


def _drop(sources: dict[KeyPath, str], prefix: KeyPath) -> None:
    for path in [p for p in sources if p[: len(prefix)] == prefix]:
        del sources[path]


def _merge_into(
    target: dict[str, Any], sources: dict[KeyPath, str], layer: Layer, data: Mapping[str, Any], at: KeyPath
) -> None:
    for key, value in data.items():
        path = (*at, key)
        current = target.get(key)
        if isinstance(value, str) and _is_append(path):
            value = parse_list(value)  # "[a, b]" from the environment or --set
        if isinstance(current, dict) and isinstance(value, dict):
            _merge_into(current, sources, layer, value, path)
            continue
        if isinstance(current, list) and isinstance(value, list) and _is_append(path):
            target[key] = [*current, *value]
            sources[path] = layer.sources.get(path, sources.get(path, ""))
            continue
        _drop(sources, path)
        target[key] = _copy(value)
        sources.update({p: s for p, s in layer.sources.items() if p[: len(path)] == path})


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def merge_layers(layers: Sequence[Layer]) -> Layer:
    """Merge ``layers``, lowest precedence first, into a new layer (inputs are not modified)."""
    merged = Layer()
    for layer in layers:
        _merge_into(merged.data, merged.sources, layer, layer.data, ())
    return merged


def source_of(path: KeyPath, sources: Mapping[KeyPath, str]) -> str:
    """Where the value at ``path`` came from: its own source, its nearest set ancestor's, or "default"."""
    for n in range(len(path), 0, -1):
        if path[:n] in sources:
            return sources[path[:n]]
    return "default"
