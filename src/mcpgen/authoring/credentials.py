"""Credential declarations: what a tool or connector needs from the user's secrets."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mcpgen.authoring.schema import DefinitionError

CREDENTIAL_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_DIRECTIVE = re.compile(r"^\s*:credential\s+([A-Za-z0-9_]+)\s*:\s*(.*)$", re.MULTILINE)


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

    name: str
    kind: str = "secret"
    required: bool = True
    description: str = ""
    pattern: str | None = None
    choices: tuple[str, ...] | None = None
    when: str | None = None

    def __post_init__(self) -> None:
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"credential {self.name}: invalid pattern {self.pattern!r}: {exc}") from exc
        if self.when is not None and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=.+$", self.when):
            raise ValueError(
                f"credential {self.name}: when= must look like 'OTHER_NAME=value', got {self.when!r}"
            )


def credentials_from_docstring(doc: str | None) -> list[Credential]:
    """Read ``:credential NAME: description`` directives (required unless the text says "optional")."""
    if not doc:
        return []
    found = []
    for name, text in _DIRECTIVE.findall(doc):
        text = text.strip()
        optional = text.lower().startswith("optional")
        found.append(Credential(name=name, required=not optional, description=text))
    return found


def strip_directives(doc: str) -> str:
    """The docstring without ``:credential:`` lines (they are metadata, not description)."""
    return _DIRECTIVE.sub("", doc)


def seed_credentials(raw: Any, where: str) -> tuple[Credential, ...]:
    """Credentials of a seed-format ``metadata``: names, or dicts with ``name`` and optional details."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise DefinitionError(f"{where}: metadata['credentials'] must be a list")
    creds = []
    for item in raw:
        if isinstance(item, str):
            creds.append(Credential(item))
        elif isinstance(item, Mapping) and isinstance(item.get("name"), str):
            validation = item.get("validation")
            pattern = item.get("pattern")
            if isinstance(validation, Mapping):  # the seed's {validation: {pattern: ...}}
                pattern = validation.get("pattern", pattern)
            elif isinstance(validation, str):
                pattern = validation
            choices = item.get("choices")
            try:
                creds.append(
                    Credential(
                        name=item["name"],
                        kind=str(item.get("kind") or item.get("type") or "secret"),
                        required=bool(item.get("required", True)),
                        description=str(item.get("description", "")),
                        pattern=str(pattern) if pattern is not None else None,
                        choices=tuple(str(c) for c in choices) if isinstance(choices, list) else None,
                        when=str(item["when"]) if item.get("when") is not None else None,
                    )
                )
            except ValueError as exc:
                raise DefinitionError(f"{where}: {exc}") from exc
        else:
            raise DefinitionError(
                f"{where}: each credential must be a name or a dict with 'name', got {item!r}"
            )
    return tuple(creds)
