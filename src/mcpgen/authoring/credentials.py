"""Credential declarations: what a tool or connector needs from the user's secrets.

:class:`Credential` is the one model of a declared credential. Tool authors
write it (``from mcpgen import Credential``), the manifest stores it in
``ToolEntry.credentials`` and ``ConnectorEntry.credentials`` (its
``CredentialRef``), and the merged requirement of the manifest
(``mcpgen.manifest.CredentialRequirement``) is a subclass that adds
``declared_by``. It is plain data: :meth:`Credential.problems` says what is
wrong with a declaration, and discovery turns each problem into a diagnostic
naming the file, tool and credential, for Python and TS/JS tools alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

from mcpgen.authoring.schema import DefinitionError

CREDENTIAL_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
WHEN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=.+$")
"""What ``when=`` looks like: ``OTHER_NAME=value``."""
_DIRECTIVE = re.compile(r"^\s*:credential\s+([A-Za-z0-9_]+)(\?)?\s*:\s*(.*)$", re.MULTILINE)
_SAYS_OPTIONAL = re.compile(r"^\s*optional\b|\(\s*optional\s*\)", re.IGNORECASE)
"""A description that calls the credential optional ("optional key for ...", "... (optional)")."""


@dataclass(frozen=True, slots=True)
class Credential:
    """A credential a module needs, e.g. ``Credential("TRANSLATION_API_KEY", kind="api_key", required=False)``.

    ``name`` is the environment variable the value is delivered in (UPPER_SNAKE_CASE).
    ``kind`` says what it is (``api_key``, ``token``, ``password``, ``secret`` are
    masked when prompted; ``url`` and ``email`` are checked as such).
    ``pattern`` is a regular expression a value must match; ``choices`` makes
    it a pick-one (e.g. ``AUTH_METHOD`` with ``("api_key", "oauth2")``);
    ``when="AUTH_METHOD=oauth2"`` asks for it only when that other credential
    has that value.
    """

    __pydantic_config__ = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")
    """In the manifest: camelCase keys, unknown keys refused (like every manifest model)."""

    name: str
    kind: str = "secret"
    required: bool = True
    description: str = ""
    pattern: str | None = None
    choices: tuple[str, ...] | None = None
    when: str | None = None

    def __post_init__(self) -> None:
        for f in fields(self):  # a list given for a tuple field (choices=[...]) is kept as a tuple
            value = getattr(self, f.name)
            if isinstance(value, list):
                object.__setattr__(self, f.name, tuple(value))

    def problems(self) -> list[str]:
        """What is wrong with this declaration: a ``pattern`` that does not compile, a malformed ``when=``."""
        found = []
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                found.append(f"invalid pattern {self.pattern!r}: {exc}")
        if self.when is not None and not WHEN.match(self.when):
            found.append(f"when= must look like 'OTHER_NAME=value', got {self.when!r}")
        return found

    @classmethod
    def from_data(cls, raw: object, where: str) -> Credential:
        """A credential as metadata declares it (Python seed modules, TS/JS modules, the discovery worker).

        ``raw`` is a name, or a mapping with ``name`` and optional ``kind`` (or
        ``type``), ``required``, ``description``, ``pattern`` (or the seed's
        ``validation: {pattern}``, or ``validation: "regex"``), ``choices``, ``when``.
        """
        if isinstance(raw, str):
            return cls(raw)
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
            raise DefinitionError(
                f"{where}: each credential must be a name or a dict with 'name', got {raw!r}"
            )
        validation = raw.get("validation")
        pattern = raw.get("pattern")
        if isinstance(validation, Mapping):
            pattern = validation.get("pattern", pattern)
        elif isinstance(validation, str):
            pattern = validation
        choices = raw.get("choices")
        if choices is not None and not isinstance(choices, list | tuple):
            raise DefinitionError(
                f"{where}: credential {raw['name']!r}: choices must be a list, got {choices!r}"
            )
        when = raw.get("when")
        return cls(
            name=raw["name"],
            kind=str(raw.get("kind") or raw.get("type") or "secret"),
            required=bool(raw.get("required", True)),
            description=str(raw.get("description") or ""),
            pattern=str(pattern) if pattern is not None else None,
            choices=tuple(str(c) for c in choices) if choices is not None else None,
            when=str(when) if when is not None else None,
        )


def says_optional(description: str) -> bool:
    """Whether a description calls its credential optional instead of marking it (``NAME?``)."""
    return bool(_SAYS_OPTIONAL.search(description))


def optional_by_wording(name: str, example: str) -> str:
    """The warning for a credential made optional by its description, not by the ``?`` mark."""
    return (
        f"credential {name!r} is called optional by its description only; mark it with `?` to declare "
        f"an optional credential: `{example}` (read as optional for now)"
    )


def credentials_from_docstring(doc: str | None) -> list[Credential]:
    """Read ``:credential NAME: description`` directives; ``:credential NAME?:`` is an optional one.

    A description that says "optional" (starting with it, or "(optional)") without the ``?``
    also gives an optional credential; :func:`docstring_credential_warnings` warns about it.
    """
    if not doc:
        return []
    found = []
    for name, mark, text in _DIRECTIVE.findall(doc):
        text = text.strip()
        optional = bool(mark) or says_optional(text)
        found.append(Credential(name=name, required=not optional, description=text))
    return found


def docstring_credential_warnings(doc: str | None) -> list[tuple[str, str]]:
    """``(directive line text, warning)`` for each directive made optional by its wording only."""
    if not doc:
        return []
    return [
        (match.group(0).strip(), optional_by_wording(match.group(1), f":credential {match.group(1)}?: ..."))
        for match in _DIRECTIVE.finditer(doc)
        if not match.group(2) and says_optional(match.group(3))
    ]


def strip_directives(doc: str) -> str:
    """The docstring without ``:credential:`` lines (they are metadata, not description)."""
    return _DIRECTIVE.sub("", doc)


def seed_credentials(raw: Any, where: str) -> tuple[Credential, ...]:
    """Credentials of a seed-format ``metadata``: names, or dicts with ``name`` and optional details."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise DefinitionError(f"{where}: metadata['credentials'] must be a list")
    return tuple(Credential.from_data(item, where) for item in raw)
