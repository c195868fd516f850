"""What ``ctx.elicit``, ``ctx.sample`` and ``ctx.list_roots`` build and return.

Pure helpers: request params in the wire shape (the same on both protocol
generations -- the runtime sends them as server-to-client requests on
2025-11-25 and as ``inputRequests`` of an ``InputRequiredResult`` on
2026-07-28) and small result types parsed from the client's answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from mcpgen.authoring.content import Content
from mcpgen.authoring.errors import ClientInputError

ElicitAction = Literal["accept", "decline", "cancel"]
M = TypeVar("M")

ELICIT = "elicitation/create"
SAMPLE = "sampling/createMessage"
LIST_ROOTS = "roots/list"
CAPABILITY_OF = {ELICIT: "elicitation", SAMPLE: "sampling", LIST_ROOTS: "roots"}
"""The client capability each request needs."""


@dataclass(frozen=True, slots=True)
class Elicitation(Generic[M]):
    """The user's answer to ``ctx.elicit``: ``action`` and, when accepted, ``content``.

    ``data`` is ``content`` validated into the pydantic model passed as the
    schema (``None`` when a plain JSON Schema dict was passed or the user did
    not accept).
    """

    action: ElicitAction
    content: dict[str, Any] | None = None
    data: M | None = None

    @property
    def accepted(self) -> bool:
        return self.action == "accept"


@dataclass(frozen=True, slots=True)
class Sampled:
    """The client's LLM answer to ``ctx.sample``: ``text`` (``None`` for non-text content) and details."""

    text: str | None
    role: str
    model: str | None
    stop_reason: str | None
    content: Any


@dataclass(frozen=True, slots=True)
class Root:
    """A root the client exposes (``ctx.list_roots``): a ``file://`` URI and an optional name."""

    uri: str
    name: str | None = None


def _flatten(prop: dict[str, Any]) -> dict[str, Any]:
    """``T | None`` as plain ``T`` (elicitation schemas allow only flat primitive properties)."""
    options = prop.get("anyOf")
    if isinstance(options, list):
        rest = [o for o in options if o != {"type": "null"}]
        if len(rest) == 1 and len(rest) < len(options):
            merged = {k: v for k, v in prop.items() if k != "anyOf"}
            merged.update(rest[0])
            prop = merged
    prop.pop("title", None)
    if prop.get("default", 0) is None:
        prop.pop("default")
    return prop


def elicit_schema(schema: Mapping[str, Any] | type[BaseModel]) -> dict[str, Any]:
    """The ``requestedSchema`` for a JSON Schema dict or a pydantic model of primitive fields."""
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        raw = schema.model_json_schema()
        props = {name: _flatten(dict(p)) for name, p in raw.get("properties", {}).items()}
        result: dict[str, Any] = {"type": "object", "properties": props}
        if raw.get("required"):
            result["required"] = list(raw["required"])
        return result
    if not isinstance(schema, Mapping):
        raise TypeError(f"ctx.elicit schema must be a JSON Schema dict or a pydantic model, got {schema!r}")
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), Mapping):
        raise ValueError('ctx.elicit schema must be {"type": "object", "properties": {...}}')
    return dict(schema)


def elicitation(answer: Mapping[str, Any], schema: Any) -> Elicitation[Any]:
    """Parse the client's ``ElicitResult``; validate accepted content into ``schema`` when it is a model."""
    action = answer.get("action")
    if action not in ("accept", "decline", "cancel"):
        raise ClientInputError(f"the client answered the elicitation with an unknown action {action!r}")
    content = answer.get("content")
    content = dict(content) if isinstance(content, Mapping) else None
    data = None
    if action == "accept" and isinstance(schema, type) and issubclass(schema, BaseModel):
        try:
            data = schema.model_validate(content or {})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(root)"
            raise ClientInputError(
                f"the client's elicitation answer is invalid at {where}: {first['msg']}"
            ) from None
    return Elicitation(action=action, content=content, data=data)


def _content_block(item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        return {"type": "text", "text": item}
    if isinstance(item, Content):
        return item.to_wire()
    if isinstance(item, Mapping) and "type" in item:
        return dict(item)
    raise TypeError(
        f"sampling message content must be a string or a content block, got {type(item).__name__}"
    )


def sampling_messages(prompt: str | Sequence[Any]) -> list[dict[str, Any]]:
    """Messages for ``sampling/createMessage`` from a string or a list of strings / ``{"role", "content"}``."""
    items = [prompt] if isinstance(prompt, str) else list(prompt)
    if not items:
        raise ValueError("ctx.sample needs a prompt or at least one message")
    messages = []
    for item in items:
        if isinstance(item, Mapping) and "role" in item:
            role = item["role"]
            if role not in ("user", "assistant"):
                raise ValueError(f"sampling message role must be 'user' or 'assistant', got {role!r}")
            messages.append({"role": role, "content": _content_block(item.get("content", ""))})
        else:
            messages.append({"role": "user", "content": _content_block(item)})
    return messages


def sampled(answer: Mapping[str, Any]) -> Sampled:
    content = answer.get("content")
    first = content[0] if isinstance(content, list) and content else content
    text = first.get("text") if isinstance(first, Mapping) and first.get("type") == "text" else None
    return Sampled(
        text=text,
        role=str(answer.get("role", "assistant")),
        model=answer.get("model"),
        stop_reason=answer.get("stopReason"),
        content=content,
    )


def roots(answer: Mapping[str, Any]) -> list[Root]:
    items = answer.get("roots")
    if not isinstance(items, list):
        raise ClientInputError("the client's roots/list answer has no 'roots' list")
    return [Root(uri=str(r.get("uri")), name=r.get("name")) for r in items if isinstance(r, Mapping)]
