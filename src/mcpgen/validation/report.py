"""The validation report: every problem found, errors and warnings, renderable and JSON-able."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mcpgen.discovery.diagnostics import Diagnostic, ordered
from mcpgen.errors import ValidationFailed


@dataclass(frozen=True)
class Report:
    """All diagnostics of one discovery + validation run, sorted by file, line and code."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    @classmethod
    def of(cls, diagnostics: Iterable[Diagnostic]) -> Report:
        return cls(ordered(diagnostics))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def summary(self) -> str:
        errors, warnings = len(self.errors), len(self.warnings)
        return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"

    def to_data(self) -> dict[str, Any]:
        """The ``--json`` form: the same data the human output renders."""
        return {
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "diagnostics": [d.to_data() for d in self.diagnostics],
        }

    def raise_for_errors(self) -> None:
        """Raise :class:`~mcpgen.errors.ValidationFailed` (carrying this report) when there are errors."""
        if not self.ok:
            raise ValidationFailed(f"validation failed: {self.summary()}", report=self)

    def __str__(self) -> str:
        return "\n".join([*(str(d) for d in self.diagnostics), self.summary()])
