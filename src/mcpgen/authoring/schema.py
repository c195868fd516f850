"""JSON Schemas (Draft 2020-12) from Python signatures, via pydantic.

``signature_model`` turns a function's parameters into a pydantic model (the
input schema and the coercion of incoming arguments); ``output_adapter`` turns
a return annotation into an output schema when the result is structured.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

import typing_extensions
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model
from pydantic.fields import FieldInfo

from mcpgen.authoring.context import Context

_PLAIN = (str, int, float, bool)
CONNECTOR_ATTRIBUTE = "__mcpgen_connector__"
"""Where ``@connector`` keeps a class's definition (read here to spot injected connector parameters)."""
_UNSTRUCTURED_RETURNS = (str, bytes, type(None))


class DefinitionError(ValueError):
    """A decorated function cannot be described (bad signature, unsupported annotation)."""


@dataclass(frozen=True, slots=True)
class Signature:
    """What the runtime needs to call a function with JSON arguments."""

    model: type[BaseModel]
    input_schema: dict[str, Any]
    context_param: str | None
    param_names: tuple[str, ...]
    plain: bool
    """True when every parameter is a plain JSON type: arguments need no coercion."""
    takes_any: bool = False
    """True for a hand-written input schema with ``**kwargs``: every argument is passed on."""
    connectors: tuple[tuple[str, str], ...] = ()
    """``(parameter, connector name)`` for each parameter annotated with a connector class (injected)."""
    untyped: tuple[str, ...] = ()
    """Parameters without a type annotation: their schema is ``{}`` (any JSON value, passed as is)."""
    field_names: tuple[str, ...] = ()
    """The model's field for each of ``param_names`` (a parameter named like a ``BaseModel`` attribute,
    ``schema`` or ``json``, is field ``arg_schema`` with alias ``schema``); empty: the same names."""

    def fields_by_param(self) -> Iterable[tuple[str, str]]:
        """``(parameter, model field)`` pairs."""
        return zip(self.param_names, self.field_names or self.param_names, strict=True)


def _is_context(annotation: Any) -> bool:
    if annotation is Context:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _is_context(get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_is_context(a) for a in get_args(annotation) if a is not type(None))
    return isinstance(annotation, type) and issubclass(annotation, Context)


def connector_of(annotation: Any) -> Any:
    """The ``@connector`` definition an annotation names (``Notion``, ``Notion | None``), else ``None``."""
    if get_origin(annotation) is not None:
        for arg in get_args(annotation):
            found = connector_of(arg)
            if found is not None:
                return found
        return None
    return getattr(annotation, CONNECTOR_ATTRIBUTE, None) if isinstance(annotation, type) else None


def _is_plain(annotation: Any) -> bool:
    if annotation in _PLAIN or annotation is Any:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _is_plain(get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return all(a is type(None) or _is_plain(a) for a in get_args(annotation))
    if origin is typing.Literal:
        return True
    return origin in (list, dict) and all(_is_plain(a) for a in get_args(annotation))


def _clean(schema: dict[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    schema.pop("title", None)
    props = schema.get("properties")
    if isinstance(props, dict):
        schema["properties"] = {
            k: {kk: vv for kk, vv in v.items() if kk != "title"} for k, v in props.items()
        }
    return schema


_RESERVED = frozenset(dir(BaseModel))
"""Names a model field cannot have (``schema``, ``json``, ``dict``, ``copy``, ``model_config`` ...)."""


def _field_name(name: str, taken: Collection[str]) -> str:
    """The model field for parameter ``name``: itself, unless ``BaseModel`` uses the name."""
    if name not in _RESERVED:
        return name
    field = f"arg_{name}"
    while field in taken or field in _RESERVED:
        field += "_"
    return field


def type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception as exc:  # unresolvable forward references and the like
        raise DefinitionError(f"cannot resolve type hints of {fn.__qualname__}: {exc}") from exc


def raw_signature(fn: Callable[..., Any], name: str, schema: Mapping[str, Any]) -> Signature:
    """The signature of a tool with a hand-written ``input_schema``: arguments pass through uncoerced.

    Named parameters receive the argument of the same name; a ``**kwargs``
    parameter receives all of them.
    """
    if not isinstance(schema, Mapping) or schema.get("type") != "object":
        raise DefinitionError(
            f'{name}: input_schema must be a JSON Schema object ({{"type": "object", ...}})'
        )
    hints = type_hints(fn)
    context_param = None
    names: list[str] = []
    connectors: list[tuple[str, str]] = []
    takes_any = False
    for param in inspect.signature(fn).parameters.values():
        if _is_context(hints.get(param.name)):
            context_param = param.name
        elif (found := connector_of(hints.get(param.name))) is not None:
            connectors.append((param.name, found.name))
        elif param.kind is inspect.Parameter.VAR_KEYWORD:
            takes_any = True
        elif param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.POSITIONAL_ONLY):
            raise DefinitionError(f"{name}: parameter {param.name!r} cannot receive a named JSON argument")
        else:
            names.append(param.name)
    model = create_model(f"{name}_arguments", __config__=ConfigDict(extra="allow"))
    return Signature(
        model=model,
        input_schema=dict(schema),
        context_param=context_param,
        param_names=tuple(names),
        plain=True,
        takes_any=takes_any,
        connectors=tuple(connectors),
    )


def signature_model(fn: Callable[..., Any], name: str, param_docs: dict[str, str]) -> Signature:
    """Describe ``fn``'s parameters: schema, coercion model and the injected Context parameter."""
    hints = type_hints(fn)
    fields: dict[str, Any] = {}
    params: list[str] = []
    context_param: str | None = None
    connectors: list[tuple[str, str]] = []
    untyped: list[str] = []
    plain = True
    parameters = inspect.signature(fn).parameters
    for param in parameters.values():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise DefinitionError(
                f"{name}: *args/**kwargs cannot be described as tool input; name each parameter"
            )
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            raise DefinitionError(f"{name}: positional-only parameter {param.name!r} is not supported")
        annotation = hints.get(param.name, Any)
        if _is_context(annotation):
            context_param = param.name
            continue
        found = connector_of(annotation)
        if found is not None:
            connectors.append((param.name, found.name))
            continue
        if param.name.startswith("_"):
            raise DefinitionError(f"{name}: parameter {param.name!r} starts with '_'; JSON arguments cannot")
        if param.name not in hints:
            untyped.append(param.name)
        plain = plain and _is_plain(annotation)
        default: Any = ... if param.default is inspect.Parameter.empty else param.default
        doc = param_docs.get(param.name)
        if isinstance(default, FieldInfo):
            info = default
            if doc and not info.description:
                info.description = doc
            spec: tuple[Any, Any] = (annotation, info)
        else:
            has_description = get_origin(annotation) is Annotated and any(
                isinstance(m, FieldInfo) and m.description for m in get_args(annotation)[1:]
            )
            if has_description or not doc:
                spec = (annotation, default)
            else:
                spec = (annotation, Field(default, description=doc))
        field = _field_name(param.name, parameters)
        if field != param.name:
            spec = (Annotated[spec[0], Field(alias=param.name)], spec[1])
        fields[field] = spec
        params.append(param.name)
    try:
        model = create_model(
            f"{name}_arguments",
            __config__=ConfigDict(arbitrary_types_allowed=False, extra="ignore", protected_namespaces=()),
            **fields,
        )
        schema = _clean(model.model_json_schema())
    except Exception as exc:
        raise DefinitionError(f"{name}: cannot build an input schema: {exc}") from exc
    schema.setdefault("properties", {})
    schema["type"] = "object"
    return Signature(
        model=model,
        input_schema=schema,
        context_param=context_param,
        param_names=tuple(params),
        plain=plain,
        connectors=tuple(connectors),
        untyped=tuple(untyped),
        field_names=tuple(fields),
    )


@dataclass(frozen=True, slots=True)
class Output:
    """Structured output: its schema, and whether the value is wrapped as ``{"result": value}``."""

    adapter: TypeAdapter[Any]
    schema: dict[str, Any]
    wrap: bool


def _is_object_type(annotation: Any) -> bool:
    origin = get_origin(annotation) or annotation
    if origin is Annotated:
        return _is_object_type(get_args(annotation)[0])
    if origin is dict:
        return True
    if isinstance(origin, type) and issubclass(origin, BaseModel):
        return True
    if typing_extensions.is_typeddict(origin):
        return True
    import dataclasses

    return isinstance(origin, type) and dataclasses.is_dataclass(origin)


def _is_content(annotation: Any) -> bool:
    """Whether ``annotation`` is, or contains (in a union or list), an MCP content type or helper."""
    from mcpgen.authoring.content import Content

    if inspect.isclass(annotation):
        return issubclass(annotation, Content) or annotation.__module__.partition(".")[0] in (
            "mcp",
            "mcp_types",
        )
    return any(_is_content(arg) for arg in get_args(annotation))


def output_adapter(fn: Callable[..., Any], name: str) -> Output | None:
    """An output schema for a structured return annotation, else ``None`` (plain text result)."""
    hints = type_hints(fn)
    if "return" not in hints:
        return None
    annotation = hints["return"]
    if annotation in _UNSTRUCTURED_RETURNS or annotation is Any or annotation is None:
        return None
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1 and args[0] in _UNSTRUCTURED_RETURNS:
            return None
    if _is_content(annotation) or annotation is list:
        return None  # content is sent as it is, not as structured output; a bare list may hold content
    try:
        if _is_object_type(annotation):
            adapter: TypeAdapter[Any] = TypeAdapter(annotation)
            schema = _clean(adapter.json_schema(mode="serialization"))
            return Output(adapter=adapter, schema=schema, wrap=False)
        adapter = TypeAdapter(annotation)
        inner = adapter.json_schema(mode="serialization")
        defs = inner.pop("$defs", None)
        inner.pop("title", None)
        schema = {"type": "object", "properties": {"result": inner}, "required": ["result"]}
        if defs:
            schema["$defs"] = defs
        return Output(adapter=adapter, schema=schema, wrap=True)
    except Exception as exc:
        raise DefinitionError(
            f"{name}: cannot build an output schema from the return annotation: {exc}"
        ) from exc
