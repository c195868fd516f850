"""Connector rate limits as the seed format writes them: per second, per minute or per hour, in TS and Python.

Both connectors below are written in the seed's shape (a default-exported object with ``metadata`` for
TypeScript, a ``metadata`` dict plus one class for Python) and load as written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mcpgen.authoring.rates import RateLimitError, per_minute
from mcpgen.discovery import discover
from mcpgen.validation import validate

Write = Callable[[Path, str, str], Path]

NOTION_TS = """\
export default {
  metadata: {
    name: "notion",
    type: "http",
    authentication: { type: "token" },
    credentials: ["NOTION_TOKEN"],
    methods: ["getPage"],
    rateLimits: { requestsPerSecond: 3 },
  },
  async initialize(config: Record<string, unknown>) {},
  async getPage(id: string) { return { id }; },
};
"""

LEGACY_PY = """\
metadata = {
    "name": "legacy",
    "type": "http",
    "authentication": {"type": "api_key"},
    "credentials": [{"name": "LEGACY_API_KEY", "description": "API key"}],
    "rateLimits": {"requestsPerHour": 1200},
}


class LegacyClient:
    def initialize(self, config):
        self.key = config["apiKey"]

    def greet(self, name):
        return f"hello {name}"
"""

DECORATED_PY = """\
from mcpgen import connector


@connector(name="fast", rate_limit="5/second")
class Fast:
    async def connect(self):
        pass
"""


def test_ts_and_python_seed_connectors_with_per_second_and_per_hour_limits_load(
    tmp_path: Path, write: Write
) -> None:
    write(tmp_path, "connectors/notion.ts", NOTION_TS)
    write(tmp_path, "connectors/legacy.py", LEGACY_PY)
    write(tmp_path, "connectors/fast.py", DECORATED_PY)
    result = discover(tmp_path)
    report = validate(result)
    assert report.ok, [str(d) for d in report.diagnostics]
    rates = {c.name: c.rate_limit for c in result.connectors}
    assert rates == {"notion": 180.0, "legacy": 20.0, "fast": 300.0}  # all kept as requests per minute


def test_a_bad_per_second_limit_names_the_field_and_line(tmp_path: Path, write: Write) -> None:
    write(tmp_path, "connectors/notion.ts", NOTION_TS.replace("requestsPerSecond: 3", "requestsPerSecond: 0"))
    (problem,) = validate(discover(tmp_path)).errors
    assert problem.path == "connectors/notion.ts"
    assert problem.line == 8
    assert "metadata.rateLimits.requestsPerSecond must be a number > 0" in problem.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (600, 600.0),
        ("10/second", 600.0),
        ("10/s", 600.0),
        ("90 per minute", 90.0),
        ("120/hour", 2.0),
        ({"requestsPerMinute": 250}, 250.0),
        ({"requests_per_second": 2}, 120.0),
        ({"requestsPerSecond": 3, "requestsPerHour": 1000}, 1000 / 60),  # the strictest window wins
    ],
)
def test_per_minute_reads_every_form(raw: object, expected: float) -> None:
    assert per_minute(raw) == pytest.approx(expected)


@pytest.mark.parametrize("raw", [0, -1, True, "fast", "10/fortnight", "0/s", {"burst": 5}, [3]])
def test_per_minute_refuses_what_it_cannot_read(raw: object) -> None:
    with pytest.raises(RateLimitError):
        per_minute(raw)
