"""``@tool``, ``@resource`` and ``@prompt``: attach a definition to a function and return it unchanged.

A decorated function stays a plain function (call it in unit tests as usual);
its definition lives on ``fn.__mcpgen__``. Definitions are built eagerly so a
bad signature fails at import time, where discovery reports it with its line.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, overload

from pydantic import ValidationError

from mcpgen.authoring import docstrings
from mcpgen.authoring.context import Context
from mcpgen.authoring.credentials import (
    Credential,
    credentials_from_docstring,
    docstring_credential_warnings,
)
from mcpgen.authoring.schema import (
    DefinitionError,
    Output,
    Signature,
    output_adapter,
    raw_signature,
    signature_model,
)

F = TypeVar("F", bound=Callable[..., Any])
ATTRIBUTE = "__mcpgen__"
_TEMPLATE_VAR = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _line(fn: Callable[..., Any]) -> int | None:
    code = getattr(fn, "__code__", None)
    return code.co_firstlineno if code is not None else None


@dataclass(frozen=True, slots=True)
class DefinitionWarning:
    """Something about a definition that works but is probably not what the author meant."""

    code: str
    message: str
    line: int | None = None


def _source(fn: Callable[..., Any]) -> tuple[list[str], int]:
    try:
        return inspect.getsourcelines(fn)
    except (OSError, TypeError):
        return [], 0


def _param_lines(lines: list[str], start: int, fn_name: str) -> dict[str, int]:
    """Parameter → the line it is declared on (in the file), from the function's source."""
    try:
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except SyntaxError:
        return {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == fn_name:
            args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            return {a.arg: start + a.lineno - 1 for a in args}
    return {}


def _tool_warnings(
    fn: Callable[..., Any], tool_name: str, untyped: Sequence[str]
) -> tuple[DefinitionWarning, ...]:
    """Untyped parameters, and credentials made optional by the wording of their directive."""
    directives = docstring_credential_warnings(fn.__doc__)
    if not untyped and not directives:
        return ()
    lines, start = _source(fn)
    found = []
    params = _param_lines(lines, start, fn.__name__) if untyped else {}
    for param in untyped:
        message = (
            f"tool {tool_name!r}: parameter {param!r} has no type annotation, so its schema is {{}} "
            f"and any JSON value is accepted; annotate it (e.g. `{param}: str`)"
        )
        found.append(DefinitionWarning("untyped-parameter", message, params.get(param, _line(fn))))
    for text, message in directives:
        line = next((start + n for n, raw in enumerate(lines) if text in raw), _line(fn))
        found.append(DefinitionWarning("credential-syntax", f"tool {tool_name!r}: {message}", line))
    return tuple(found)


@dataclass(frozen=True, eq=False)
class ToolDefinition:
    """Everything the generator and the runtime know about one tool."""

    name: str
    description: str
    input_schema: dict[str, Any]
    fn: Callable[..., Any]
    kind: Literal["decorated", "seed"] = "decorated"
    attribute: str = ""
    title: str | None = None
    output_schema: dict[str, Any] | None = None
    annotations: dict[str, Any] | None = None
    timeout: float | None = None
    tags: tuple[str, ...] = ()
    credentials: tuple[Credential, ...] = ()
    line: int | None = None
    schema_version: str | None = None
    signature: Signature | None = None
    output: Output | None = None
    is_async: bool = False
    warnings: tuple[DefinitionWarning, ...] = ()
    """Reported by discovery as warnings naming the file and line; the tool still loads."""

    @property
    def connectors(self) -> tuple[str, ...]:
        """Names of the connectors injected into parameters (by annotation)."""
        return tuple(name for _, name in self.signature.connectors) if self.signature else ()

    def call_arguments(
        self, arguments: Mapping[str, Any], ctx: Context, connectors: Mapping[str, Any] | None = None
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Positional and keyword arguments for ``fn`` (arguments already passed JSON Schema validation).

        ``connectors`` holds the instances of :attr:`connectors` by name.

        Raises ``ValueError`` naming the field when coercion into the annotated types fails.
        """
        if self.kind == "seed":
            wants_ctx = self.signature is not None and self.signature.context_param is not None
            return ((dict(arguments), ctx) if wants_ctx else (dict(arguments),)), {}
        sig = self.signature
        assert sig is not None
        if sig.takes_any:
            kwargs = dict(arguments)
        elif sig.plain:
            kwargs = {k: v for k, v in arguments.items() if k in sig.param_names}
        else:
            try:
                model = sig.model.model_validate(dict(arguments))
            except ValidationError as exc:
                err = exc.errors()[0]
                loc = ".".join(str(p) for p in err["loc"])
                raise ValueError(f"{loc}: {err['msg']}") from exc
            kwargs = {
                param: getattr(model, field)
                for param, field in sig.fields_by_param()
                if field in model.model_fields_set or param in arguments
            }
            # defaults are applied by Python itself
        if sig.context_param is not None:
            kwargs[sig.context_param] = ctx
        for param, connector in sig.connectors:
            kwargs[param] = (connectors or {})[connector]
        return (), kwargs

    def structured(self, value: Any) -> dict[str, Any] | None:
        """The ``structuredContent`` for a return value, when the tool declares structured output."""
        if self.output is None:
            return None
        dumped = self.output.adapter.dump_python(value, mode="json")
        if self.output.wrap:
            return {"result": dumped}
        return dumped if isinstance(dumped, dict) else {"result": dumped}


@dataclass(frozen=True, eq=False)
class ResourceDefinition:
    name: str
    fn: Callable[..., Any]
    uri: str | None = None
    uri_template: str | None = None
    description: str = ""
    title: str | None = None
    mime_type: str | None = None
    attribute: str = ""
    line: int | None = None
    context_param: str | None = None
    is_async: bool = False
    completions: Mapping[str, Completer] = field(default_factory=dict)


@dataclass(frozen=True)
class PromptArgumentSpec:
    name: str
    description: str = ""
    required: bool = True


@dataclass(frozen=True, eq=False)
class PromptDefinition:
    name: str
    fn: Callable[..., Any]
    description: str = ""
    title: str | None = None
    arguments: tuple[PromptArgumentSpec, ...] = ()
    attribute: str = ""
    line: int | None = None
    context_param: str | None = None
    is_async: bool = False
    completions: Mapping[str, Completer] = field(default_factory=dict)


Definition = ToolDefinition | ResourceDefinition | PromptDefinition


Completer = Sequence[str] | Callable[..., Any]
"""How an argument is completed: a list of values (filtered by prefix) or a function.

A function is called with the partial ``value`` and, if it accepts them, the
other already-filled ``arguments`` (a dict); it returns (or, when async,
resolves to) a list of suggestions.
"""


def _completions(
    complete: Mapping[str, Completer] | None, known: Sequence[str], where: str
) -> Mapping[str, Completer]:
    if not complete:
        return {}
    if not isinstance(complete, Mapping):
        raise DefinitionError(f"{where}: complete= takes a dict of argument name -> values or function")
    for arg, completer in complete.items():
        if arg not in known:
            raise DefinitionError(f"{where}: complete= names {arg!r}, which is not one of {sorted(known)}")
        if isinstance(completer, str) or not (callable(completer) or isinstance(completer, Sequence)):
            raise DefinitionError(f"{where}: complete[{arg!r}] must be a list of strings or a function")
    return dict(complete)


def _all_credentials(explicit: Sequence[Credential] | None, doc: str | None) -> tuple[Credential, ...]:
    merged: dict[str, Credential] = {c.name: c for c in credentials_from_docstring(doc)}
    for cred in explicit or ():
        if not isinstance(cred, Credential):
            raise DefinitionError(f"credentials= takes Credential(...) objects, got {type(cred).__name__}")
        merged[cred.name] = cred
    return tuple(merged.values())


def build_tool(
    fn: Callable[..., Any],
    *,
    name: str | None = None,
    description: str | None = None,
    title: str | None = None,
    annotations: Mapping[str, Any] | None = None,
    timeout: float | None = None,
    credentials: Sequence[Credential] | None = None,
    tags: Sequence[str] | None = None,
    input_schema: Mapping[str, Any] | None = None,
) -> ToolDefinition:
    if not callable(fn):
        raise DefinitionError(f"@tool must decorate a function, not {type(fn).__name__}")
    tool_name = name or fn.__name__
    doc = docstrings.parse(fn.__doc__)
    if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
        raise DefinitionError(f"{tool_name}: timeout must be a positive number of seconds")
    if input_schema is not None:
        signature = raw_signature(fn, tool_name, input_schema)
    else:
        signature = signature_model(fn, tool_name, doc.params)
    output = output_adapter(fn, tool_name)
    return ToolDefinition(
        name=tool_name,
        description=description if description is not None else doc.description,
        input_schema=signature.input_schema,
        fn=fn,
        attribute=fn.__name__,
        title=title,
        output_schema=output.schema if output else None,
        annotations=dict(annotations) if annotations else None,
        timeout=float(timeout) if timeout is not None else None,
        tags=tuple(tags or ()),
        credentials=_all_credentials(credentials, fn.__doc__),
        line=_line(fn),
        signature=signature,
        output=output,
        is_async=inspect.iscoroutinefunction(fn),
        warnings=_tool_warnings(fn, tool_name, signature.untyped),
    )


@overload
def tool(fn: F, /) -> F: ...
@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    title: str | None = None,
    annotations: Mapping[str, Any] | None = None,
    timeout: float | None = None,
    credentials: Sequence[Credential] | None = None,
    tags: Sequence[str] | None = None,
    input_schema: Mapping[str, Any] | None = None,
) -> Callable[[F], F]: ...
def tool(
    fn: Any = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    title: str | None = None,
    annotations: Mapping[str, Any] | None = None,
    timeout: float | None = None,
    credentials: Sequence[Credential] | None = None,
    tags: Sequence[str] | None = None,
    input_schema: Mapping[str, Any] | None = None,
) -> Any:
    """Make a function an MCP tool. Use as ``@tool`` or ``@tool(name=..., timeout=...)``.

    The input schema comes from the type hints, the description from the
    docstring (with per-parameter descriptions from a Google- or NumPy-style
    parameter section). A parameter typed ``Context`` is injected at call time.
    ``input_schema=`` replaces the derived schema with a hand-written JSON
    Schema (Draft 2020-12): arguments are then validated against it and passed
    on as they are, by name, or all of them to a ``**kwargs`` parameter.
    """

    def decorate(func: F) -> F:
        definition = build_tool(
            func,
            name=name,
            description=description,
            title=title,
            annotations=annotations,
            timeout=timeout,
            credentials=credentials,
            tags=tags,
            input_schema=input_schema,
        )
        setattr(func, ATTRIBUTE, definition)
        return func

    if fn is not None:
        if isinstance(fn, str):
            raise DefinitionError("@tool takes keyword arguments: write @tool(name=...)")
        return decorate(fn)
    return decorate


def _context_param(fn: Callable[..., Any]) -> str | None:
    from mcpgen.authoring.schema import _is_context, type_hints

    hints = type_hints(fn)
    for param in inspect.signature(fn).parameters.values():
        if _is_context(hints.get(param.name)):
            return param.name
    return None


def resource(
    uri: str,
    *,
    name: str | None = None,
    description: str | None = None,
    title: str | None = None,
    mime_type: str | None = None,
    complete: Mapping[str, Completer] | None = None,
) -> Callable[[F], F]:
    """Expose a function's return value as a resource at ``uri``.

    A URI with ``{placeholders}`` is a template: each placeholder must be a
    parameter of the function, and ``complete={"id": [...] or fn}`` offers
    completions for it (``completion/complete``). Return ``str`` (text),
    ``bytes`` (binary), a dict/list (JSON) or an ``EmbeddedResource``.
    """
    if not isinstance(uri, str) or "://" not in uri:
        raise DefinitionError(f"@resource needs a URI like 'data://name', got {uri!r}")

    def decorate(func: F) -> F:
        variables = _TEMPLATE_VAR.findall(uri)
        ctx_param = _context_param(func)
        params = [p for p in inspect.signature(func).parameters if p != ctx_param]
        if variables and set(variables) != set(params):
            raise DefinitionError(
                f"resource {uri}: template placeholders {sorted(variables)} must match the "
                f"function parameters {sorted(params)}"
            )
        if not variables and params:
            raise DefinitionError(f"resource {uri}: a static resource takes no parameters, found {params}")
        doc = docstrings.parse(func.__doc__)
        definition = ResourceDefinition(
            name=name or func.__name__,
            fn=func,
            uri=None if variables else uri,
            uri_template=uri if variables else None,
            description=description if description is not None else doc.description,
            title=title,
            mime_type=mime_type,
            attribute=func.__name__,
            line=_line(func),
            context_param=ctx_param,
            is_async=inspect.iscoroutinefunction(func),
            completions=_completions(complete, variables, f"resource {uri}"),
        )
        setattr(func, ATTRIBUTE, definition)
        return func

    return decorate


@overload
def prompt(fn: F, /) -> F: ...
@overload
def prompt(
    *,
    name: str | None = None,
    description: str | None = None,
    title: str | None = None,
    complete: Mapping[str, Completer] | None = None,
) -> Callable[[F], F]: ...
def prompt(
    fn: Any = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    title: str | None = None,
    complete: Mapping[str, Completer] | None = None,
) -> Any:
    """Make a function an MCP prompt. Its parameters are the prompt arguments.

    Return a string (one user message) or a list of ``{"role", "content"}``
    dicts / strings, where content may also be an ``Image`` or an
    ``EmbeddedResource``. ``complete={"arg": [...] or fn}`` offers completions
    for an argument (``completion/complete``).
    """

    def decorate(func: F) -> F:
        doc = docstrings.parse(func.__doc__)
        ctx_param = _context_param(func)
        args = []
        for param in inspect.signature(func).parameters.values():
            if param.name == ctx_param:
                continue
            args.append(
                PromptArgumentSpec(
                    name=param.name,
                    description=doc.params.get(param.name, ""),
                    required=param.default is inspect.Parameter.empty,
                )
            )
        definition = PromptDefinition(
            name=name or func.__name__,
            fn=func,
            description=description if description is not None else doc.description,
            title=title,
            arguments=tuple(args),
            attribute=func.__name__,
            line=_line(func),
            context_param=ctx_param,
            is_async=inspect.iscoroutinefunction(func),
            completions=_completions(complete, [a.name for a in args], f"prompt {name or func.__name__}"),
        )
        setattr(func, ATTRIBUTE, definition)
        return func

    if fn is not None:
        return decorate(fn)
    return decorate


@dataclass
class ModuleDefinitions:
    """What one module defines."""

    tools: list[ToolDefinition] = field(default_factory=list)
    resources: list[ResourceDefinition] = field(default_factory=list)
    prompts: list[PromptDefinition] = field(default_factory=list)
    connectors: list[Any] = field(default_factory=list)
    """:class:`~mcpgen.authoring.connectors.ConnectorDefinition` objects (typed loosely: no import cycle)."""
