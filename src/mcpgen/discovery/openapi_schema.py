"""OpenAPI schemas as self-contained JSON Schema (Draft 2020-12) for tool inputs (pure).

:class:`Resolver` inlines local ``$ref``\\ s (``#/components/schemas/Pet``) of one spec
document. A reference met again while it is being expanded (a recursive schema: a tree
node holding nodes) is cut there: the inner occurrence becomes ``{"type": "object"}``
(3.0) / a schema describing where it recurses, so every tool schema is finite. External
references (another file or a URL) are not followed: they become ``{}`` (any value) and
are reported.

OpenAPI 3.0's schema dialect is converted on the way: ``nullable: true`` adds ``"null"``
to ``type``, the boolean ``exclusiveMinimum``/``exclusiveMaximum`` become numbers,
``example`` becomes ``examples``, and the OpenAPI-only keywords (``discriminator``,
``xml``, ``externalDocs``) are dropped. 3.1 schemas are 2020-12 already.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_OPENAPI_ONLY = frozenset({"discriminator", "xml", "externalDocs", "deprecated"})
MAX_NODES = 20_000
"""Most schema nodes one tool's input schema may expand to (a guard against exponential $ref trees)."""


class RefError(Exception):
    """A ``$ref`` that cannot be followed; ``pointer`` is where it was met."""

    def __init__(self, message: str, pointer: str) -> None:
        super().__init__(message)
        self.message = message
        self.pointer = pointer


def escape(token: str) -> str:
    """One JSON pointer token (``/`` → ``~1``, ``~`` → ``~0``)."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    return "".join(f"/{escape(str(t))}" for t in tokens)


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def lookup(document: Mapping[str, Any], ref: str, at: str) -> Any:
    """The node a local ``#/...`` reference names (:class:`RefError` when it names none)."""
    if not ref.startswith("#"):
        raise RefError(f"external $ref {ref!r} is not supported (inline it or use a local #/ reference)", at)
    node: Any = document
    for raw in ref[1:].split("/")[1:]:
        token = _unescape(raw)
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise RefError(f"$ref {ref!r} points to nothing in this document", at)
    return node


class Resolver:
    """Inlines the local references of one document; ``version`` is the spec's ``openapi`` (3.0 or 3.1)."""

    def __init__(self, document: Mapping[str, Any], version: str) -> None:
        self.document = document
        self.legacy = version.startswith("3.0")
        self.problems: list[RefError] = []
        self._nodes = 0

    def node(self, value: Any, at: str) -> Any:
        """``value`` (a parameter, a request body, …) with its own top-level ``$ref`` followed."""
        seen: set[str] = set()
        while isinstance(value, Mapping) and isinstance(value.get("$ref"), str):
            ref = value["$ref"]
            if ref in seen:
                raise RefError(f"$ref {ref!r} refers to itself", at)
            seen.add(ref)
            value = lookup(self.document, ref, at)
            at = ref[1:]
        return value

    def schema(self, value: Any, at: str) -> dict[str, Any]:
        """A self-contained 2020-12 schema for the OpenAPI schema ``value`` found at pointer ``at``."""
        self._nodes = 0
        converted = self._schema(value, at, ())
        return converted if isinstance(converted, dict) else {}

    def _schema(self, value: Any, at: str, active: tuple[str, ...]) -> Any:
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise RefError(f"schema expands to more than {MAX_NODES} nodes (deeply nested $refs)", at)
        if isinstance(value, bool):
            return value
        if not isinstance(value, Mapping):
            return {}
        ref = value.get("$ref")
        if isinstance(ref, str):
            if ref in active:  # recursive: stop here
                name = ref.rsplit("/", 1)[-1]
                return {"description": f"A {_unescape(name)} (recursive; not expanded further)"}
            try:
                target = lookup(self.document, ref, at)
            except RefError as exc:
                self.problems.append(exc)
                return {}
            siblings = {k: v for k, v in value.items() if k != "$ref"}
            inner = self._schema(target, ref[1:], (*active, ref))
            if siblings and isinstance(inner, dict):  # 3.1 allows keywords beside $ref
                return {**inner, **self._keywords(siblings, at, active)}
            return inner
        return self._keywords(value, at, active)

    def _keywords(self, value: Mapping[str, Any], at: str, active: tuple[str, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in _OPENAPI_ONLY or key.startswith("x-"):
                continue
            here = f"{at}/{escape(key)}"
            if key in ("properties", "patternProperties", "$defs", "definitions") and isinstance(
                item, Mapping
            ):
                out[key] = {
                    name: self._schema(sub, f"{here}/{escape(name)}", active) for name, sub in item.items()
                }
            elif key in ("items", "additionalProperties", "not", "contains", "propertyNames") and (
                isinstance(item, Mapping | bool)
            ):
                out[key] = self._schema(item, here, active)
            elif key in ("allOf", "anyOf", "oneOf", "prefixItems") and isinstance(item, list):
                out[key] = [self._schema(sub, f"{here}/{i}", active) for i, sub in enumerate(item)]
            elif key == "example":
                if self.legacy or "examples" not in value:
                    out["examples"] = [item]
            else:
                out[key] = item
        if self.legacy:
            _legacy(out)
        return out


def _legacy(out: dict[str, Any]) -> None:
    """OpenAPI 3.0's schema dialect → 2020-12, in place."""
    if out.pop("nullable", False) is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        elif "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        flag = out.get(bound)
        if isinstance(flag, bool):
            del out[bound]
            if flag and limit in out:
                out[bound] = out.pop(limit)
