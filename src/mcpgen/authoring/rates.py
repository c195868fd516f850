"""Connector rate limits as authors write them, turned into the one unit mcpgen keeps: requests per minute.

Accepted everywhere a connector declares its limit (``@connector(rate_limit=...)``, a Python seed
module's ``metadata``, a TS/JS connector's ``metadata``):

- a number: requests per minute (``rate_limit=600``);
- a string ``"N/second"``, ``"N/minute"``, ``"N/hour"`` (also ``N/s``, ``N/min``, ``N/h``,
  ``N per second``; the notation of the ``limits`` library);
- in seed metadata, ``rateLimits`` (or ``rate_limits``, ``rateLimit``, ``rate_limit``) holding a
  mapping with ``requestsPerSecond``, ``requestsPerMinute``, ``requestsPerHour`` (or snake_case:
  ``requests_per_second``...), or one of the forms above. Several windows may be given (a service
  allowing 3 per second and 1000 per hour): the strictest, as a per-minute rate, is kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mcpgen.authoring.schema import DefinitionError

SEED_KEYS = ("rateLimits", "rate_limits", "rateLimit", "rate_limit")
"""Where seed metadata may put its rate limit (first found wins)."""
_PER_MINUTE = {"second": 60.0, "minute": 1.0, "hour": 1 / 60, "day": 1 / 1440}
_WINDOWS = {
    **{f"requestsPer{w.title()}": w for w in _PER_MINUTE},
    **{f"requests_per_{w}": w for w in _PER_MINUTE},
}
_UNITS = {
    "s": "second", "sec": "second", "second": "second",
    "m": "minute", "min": "minute", "minute": "minute",
    "h": "hour", "hr": "hour", "hour": "hour",
    "d": "day", "day": "day",
}  # fmt: skip
_TEXT = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?:/|per)\s*(?P<unit>[a-z]+?)s?\s*$", re.IGNORECASE)


class RateLimitError(DefinitionError):
    """A rate limit that cannot be read; ``field`` is its path (``metadata.rateLimits.requestsPerSecond``)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.field = field
        self.problem = problem


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def per_minute(raw: Any, field: str = "rate_limit") -> float | None:
    """Requests per minute from a number (per minute), a ``"N/unit"`` string or a seed mapping."""
    if raw is None:
        return None
    if _positive(raw):
        return float(raw)
    if isinstance(raw, str):
        match = _TEXT.match(raw)
        unit = _UNITS.get(match.group("unit").lower()) if match else None
        if match is None or unit is None or float(match.group("n")) <= 0:
            raise RateLimitError(
                field, f"must look like '10/second', '600/minute' or '1000/hour', got {raw!r}"
            )
        return float(match.group("n")) * _PER_MINUTE[unit]
    if isinstance(raw, Mapping):
        rates = []
        for key, window in _WINDOWS.items():
            if key in raw:
                if not _positive(raw[key]):
                    raise RateLimitError(f"{field}.{key}", f"must be a number > 0, got {raw[key]!r}")
                rates.append(float(raw[key]) * _PER_MINUTE[window])
        if not rates:
            accepted = ", ".join(k for k in _WINDOWS if not k.startswith("requests_"))
            raise RateLimitError(field, f"names no window: use {accepted}, got {dict(raw)!r}")
        return min(rates)
    raise RateLimitError(field, f"must be a number of requests per minute or '10/second', got {raw!r}")


def seed_rate_limit(metadata: Mapping[str, Any], prefix: str = "metadata") -> float | None:
    """The per-minute rate a seed ``metadata`` declares under one of :data:`SEED_KEYS`, else ``None``."""
    key = next((k for k in SEED_KEYS if metadata.get(k) is not None), None)
    return per_minute(metadata[key], f"{prefix}.{key}") if key is not None else None
