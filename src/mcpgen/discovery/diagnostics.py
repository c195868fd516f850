"""Diagnostics: one problem found in a workspace, with its file and line.

Discovery and validation never stop at the first problem; they return a list
of diagnostics that the CLI renders (``tools/x.py:12: error: message [code]``)
or prints as JSON (``to_data()``).

Codes (stable, kebab-case; tests and users match on them):

=========================== ======== ===============================================
code                        severity meaning
=========================== ======== ===============================================
syntax-error                error    the file does not parse
missing-package             error    ``import x`` failed: package not installed
import-error                error    an exception was raised while importing
system-exit                 error    ``sys.exit()`` was called while importing
definition-error            error    a decorator or seed ``metadata`` cannot be described
invalid-credential          error    a credential's ``pattern`` does not compile or its ``when=`` is malformed
timeout                     error    importing took longer than the per-file timeout
worker-crash                error    the import worker died (``os._exit``, segfault)
unsupported-language        warning  TypeScript/JavaScript files (not supported yet)
no-definitions              warning  a tool file defines no tool, resource or prompt
invalid-metadata            error    a PEP 723 ``# /// script`` block is invalid
invalid-requirement         error    a dependency string is not valid PEP 508
requirements-option         warning  a pip option in tools/requirements.txt is ignored
python-version              warning  ``requires-python`` excludes the running Python
dependency-conflict         error    two modules require incompatible versions
invalid-name                error    a tool name breaks the MCP naming rule
tool-name-style             warning  a tool name is valid but may confuse clients
duplicate-name              error    two tools (or prompts) share a name
duplicate-uri               error    two resources share a URI or URI template
invalid-schema              error    an input/output schema is not valid JSON Schema
schema-dialect              warning  a schema declares a draft other than 2020-12
unsupported-schema-version  error    a seed module's ``schemaVersion`` is unknown
missing-description         warning  a tool has no description
credential-conflict         error    modules declare one credential with different kinds
credential-name             warning  a credential name is not UPPER_SNAKE_CASE
credential-syntax           warning  a credential is optional by its wording only (write ``NAME?``)
untyped-parameter           warning  a tool parameter has no type annotation (schema ``{}``)
=========================== ======== ===============================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem. ``path`` is workspace-relative with POSIX separators."""

    severity: Severity
    code: str
    message: str
    path: str
    line: int | None = None
    name: str | None = None
    detail: str | None = None
    """Extra text, e.g. what the module wrote to stderr (truncated); not part of ``str()``."""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def to_data(self) -> dict[str, str | int | None]:
        """A JSON-able dict (the ``--json`` form); every key is always present."""
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "name": self.name,
            "detail": self.detail,
        }

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message} [{self.code}]"


def error(
    code: str,
    message: str,
    path: str,
    line: int | None = None,
    name: str | None = None,
    *,
    detail: str | None = None,
) -> Diagnostic:
    return Diagnostic("error", code, message, path, line, name, detail)


def warning(
    code: str,
    message: str,
    path: str,
    line: int | None = None,
    name: str | None = None,
    *,
    detail: str | None = None,
) -> Diagnostic:
    return Diagnostic("warning", code, message, path, line, name, detail)


def sort_key(d: Diagnostic) -> tuple[str, int, str, str, str]:
    return (d.path, d.line or 0, d.code, d.name or "", d.message)


def ordered(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted by file, line and code, without exact duplicates (stable output for an unchanged workspace)."""
    return sorted(set(diagnostics), key=sort_key)
