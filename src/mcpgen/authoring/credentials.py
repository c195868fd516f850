"""Credential declarations: what a tool or connector needs from the user's secrets."""

from __future__ import annotations

import re
from dataclasses import dataclass

CREDENTIAL_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_DIRECTIVE = re.compile(r"^\s*:credential\s+([A-Za-z0-9_]+)\s*:\s*(.*)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Credential:
    """A credential a module needs, e.g. ``Credential("TRANSLATION_API_KEY", kind="api_key", required=False)``.

    ``name`` is the environment variable the value is delivered in (UPPER_SNAKE_CASE).
    """

    name: str
    kind: str = "secret"
    required: bool = True
    description: str = ""


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
