from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from mcpgen import Context, Credential, ToolError, tool
from mcpgen.authoring import DefinitionError, ToolDefinition, prompt, resource
from mcpgen.authoring.credentials import credentials_from_docstring


def definition(fn: object) -> ToolDefinition:
    d = fn.__mcpgen__  # type: ignore[attr-defined]
    assert isinstance(d, ToolDefinition)
    return d


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Totals(TypedDict):
    count: int


@dataclass
class Stats:
    mean: float


class Point(BaseModel):
    x: int
    y: int = 0


def test_schema_from_hints_defaults_and_docstring() -> None:
    @tool(annotations={"readOnlyHint": True}, timeout=5, tags=["t"])
    async def summarize(
        text: str,
        max_length: int = 100,
        style: Literal["bullet", "paragraph"] = "paragraph",
        ratio: float | None = None,
        ctx: Context | None = None,
    ) -> str:
        """Summarize text.

        Args:
            text: The text.
            max_length: Upper bound.
        """
        return text

    d = definition(summarize)
    schema = d.input_schema
    assert schema["type"] == "object"
    assert schema["required"] == ["text"]
    assert "ctx" not in schema["properties"]
    assert schema["properties"]["style"]["enum"] == ["bullet", "paragraph"]
    assert schema["properties"]["max_length"] == {
        "default": 100,
        "description": "Upper bound.",
        "type": "integer",
    }
    assert schema["properties"]["text"]["description"] == "The text."
    assert {"type": "null"} in schema["properties"]["ratio"]["anyOf"]
    assert d.description == "Summarize text."
    assert d.annotations == {"readOnlyHint": True}
    assert (d.timeout, d.tags, d.is_async) == (5.0, ("t",), True)
    assert d.output_schema is None
    assert d.signature is not None
    assert d.signature.context_param == "ctx"


def test_models_enums_and_field_descriptions_are_coerced() -> None:
    @tool
    def place(
        point: Point,
        color: Color,
        tags: Annotated[list[str], Field(description="Labels", max_length=3)],
        extra: dict[str, int] | None = None,
    ) -> Point:
        """Place a point."""
        return point

    d = definition(place)
    props = d.input_schema["properties"]
    assert props["point"] == {"$ref": "#/$defs/Point"}
    assert d.input_schema["$defs"]["Color"]["enum"] == ["red", "blue"]
    assert props["tags"]["description"] == "Labels"
    assert props["tags"]["maxItems"] == 3
    args, kwargs = d.call_arguments({"point": {"x": 1}, "color": "red", "tags": ["a"]}, Context())
    assert args == ()
    assert kwargs == {"point": Point(x=1, y=0), "color": Color.RED, "tags": ["a"]}
    assert d.output_schema is not None
    assert d.output_schema["properties"]["x"]["type"] == "integer"
    assert d.structured(Point(x=2)) == {"x": 2, "y": 0}


def test_coercion_failure_names_the_field() -> None:
    @tool
    def place(point: Point) -> str:
        """Place."""
        return ""

    with pytest.raises(ValueError, match=r"point\.x"):
        definition(place).call_arguments({"point": {"x": "not a number"}}, Context())


def test_plain_parameters_skip_coercion_and_inject_context() -> None:
    @tool
    def add(a: int, b: int = 2, ctx: Context | None = None) -> int:
        """Add."""
        return a + b

    d = definition(add)
    assert d.signature is not None
    assert d.signature.plain
    ctx = Context()
    assert d.call_arguments({"a": 1, "unknown": 5}, ctx) == ((), {"a": 1, "ctx": ctx})
    assert d.output_schema == {
        "type": "object",
        "properties": {"result": {"type": "integer"}},
        "required": ["result"],
    }
    assert d.structured(3) == {"result": 3}


def test_structured_output_kinds() -> None:
    @tool
    def a() -> Totals:
        """A."""
        return {"count": 1}

    @tool
    def b() -> Stats:
        """B."""
        return Stats(1.0)

    @tool
    def c() -> dict[str, int]:
        """C."""
        return {}

    @tool
    def d() -> str | None:
        """D."""
        return None

    assert definition(a).output_schema["properties"]["count"]["type"] == "integer"  # type: ignore[index]
    assert definition(b).structured(Stats(2.5)) == {"mean": 2.5}
    assert definition(c).output_schema == {"additionalProperties": {"type": "integer"}, "type": "object"}
    assert definition(d).output_schema is None


def test_decorated_function_stays_callable_and_name_override() -> None:
    @tool(name="math.double", description="Twice x")
    def double(x: int) -> int:
        return 2 * x

    assert double(4) == 8
    assert definition(double).name == "math.double"
    assert definition(double).description == "Twice x"


def test_credentials_from_argument_and_docstring() -> None:
    @tool(credentials=[Credential("API_KEY", kind="api_key", required=False)])
    def call(q: str) -> str:
        """Call a service.

        :credential SERVICE_TOKEN: token for the service
        """
        return q

    creds = {c.name: c for c in definition(call).credentials}
    assert creds["API_KEY"].required is False
    assert creds["SERVICE_TOKEN"].required is True
    assert [c.required for c in credentials_from_docstring(":credential X: optional thing")] == [False]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def f(*args: int) -> str: ...", "args"),
        ("def f(a: int, /) -> str: ...", "positional-only"),
        ("def f(_hidden: int) -> str: ...", "_hidden"),
    ],
)
def test_bad_signatures_raise_definition_error(source: str, message: str) -> None:
    namespace: dict[str, object] = {}
    exec(source, namespace)
    with pytest.raises(DefinitionError, match=message):
        tool(namespace["f"])  # type: ignore[call-overload]


def test_invalid_timeout_and_string_argument() -> None:
    with pytest.raises(DefinitionError, match="timeout"):

        @tool(timeout=-1)
        def f() -> str:
            return ""

    with pytest.raises(DefinitionError, match="keyword"):
        tool("name")  # type: ignore[call-overload]


def test_resource_and_prompt_definitions() -> None:
    @resource("users://{user_id}/profile", mime_type="text/plain")
    def profile(user_id: str) -> str:
        """A user's profile."""
        return user_id

    @prompt
    def review(code: str, language: str = "python") -> str:
        """Review code.

        Args:
            code: The code.
        """
        return code

    r = profile.__mcpgen__  # type: ignore[attr-defined]
    assert (r.uri, r.uri_template, r.mime_type) == (None, "users://{user_id}/profile", "text/plain")
    p = review.__mcpgen__  # type: ignore[attr-defined]
    assert [(a.name, a.required, a.description) for a in p.arguments] == [
        ("code", True, "The code."),
        ("language", False, ""),
    ]
    with pytest.raises(DefinitionError, match="placeholders"):

        @resource("users://{id}")
        def wrong(user_id: str) -> str:
            return ""


def test_tool_error_carries_message() -> None:
    err = ToolError("nope")
    assert err.message == "nope"
    assert str(err) == "nope"
