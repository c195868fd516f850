"""Python and TS/JS tools go through one entry constructor: same manifest entries, same diagnostics.

The fixture declares the same tools and connector in both languages
(tests/fixtures/workspaces/credential_parity/README.md).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mcpgen import Credential
from mcpgen.discovery import DiscoveryResult, discover
from mcpgen.manifest import ServerInfo
from mcpgen.validation import build_manifest

from .conftest import WORKSPACES

PARITY = WORKSPACES / "credential_parity"
pytestmark = pytest.mark.xdist_group("credential-parity")  # one discovery of both workspaces


@pytest.fixture(scope="module")
def found() -> dict[str, DiscoveryResult]:
    return {lang: discover(PARITY / lang) for lang in ("python", "typescript")}


def _line(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


def test_a_ts_tool_keeps_when_and_pattern(found: dict[str, DiscoveryResult]) -> None:
    (charge,) = found["typescript"].tools
    assert charge.credentials == [
        Credential("AUTH_METHOD", kind="choice", choices=("api_key", "oauth2")),
        Credential(
            "SERVICE_API_KEY", kind="api_key", when="AUTH_METHOD=api_key", pattern=r"^sk_[A-Za-z0-9]{8,}$"
        ),
        Credential("ALERT_EMAIL", kind="email", required=False, description="Where alerts go"),
    ]


def test_both_languages_give_the_same_tool_entries(found: dict[str, DiscoveryResult]) -> None:
    def without_location(result: DiscoveryResult) -> list[dict[str, object]]:
        return [t.model_dump(exclude={"entrypoint", "source"}) for t in result.tools]

    assert [t.name for t in found["python"].tools] == ["charge"]
    assert without_location(found["typescript"]) == without_location(found["python"])


def test_both_languages_merge_to_the_same_manifest_credentials(found: dict[str, DiscoveryResult]) -> None:
    server = ServerInfo(name="parity")
    merged = {lang: build_manifest(result, server, "0").credentials for lang, result in found.items()}
    assert [c.declared_by for c in merged["typescript"]] == [("tools/charge.ts",)] * 3
    unplaced = {lang: [replace(c, declared_by=()) for c in creds] for lang, creds in merged.items()}
    assert unplaced["typescript"] == unplaced["python"]
    assert [(c.name, c.when, c.pattern) for c in merged["typescript"]] == [
        ("ALERT_EMAIL", None, None),
        ("AUTH_METHOD", None, None),
        ("SERVICE_API_KEY", "AUTH_METHOD=api_key", r"^sk_[A-Za-z0-9]{8,}$"),
    ]


def test_bad_credentials_are_the_same_diagnostics_naming_file_line_tool_and_credential(
    found: dict[str, DiscoveryResult],
) -> None:
    def described(lang: str) -> list[tuple[str, str, str | None, str]]:
        return [(d.severity, d.code, d.name, d.message) for d in found[lang].diagnostics]

    assert described("typescript") == described("python")
    assert described("python") == [
        (
            "error",
            "invalid-credential",
            "billing",
            "connector 'billing': credential 'BILLING_TOKEN': invalid pattern '(unclosed': "
            "missing ), unterminated subpattern at position 0",
        ),
        (
            "error",
            "invalid-credential",
            "broken",
            "tool 'broken': credential 'BROKEN_KEY': invalid pattern '[unclosed': "
            "unterminated character set at position 0",
        ),
        (
            "error",
            "invalid-credential",
            "broken",
            "tool 'broken': credential 'BROKEN_KEY': when= must look like 'OTHER_NAME=value', got 'AUTH_METHOD'",
        ),
    ]
    for lang, suffix, tool_line, connector_line in (
        ("python", "py", "@tool(", "@connector("),
        ("typescript", "ts", 'name: "broken"', 'name: "billing"'),
    ):
        root = PARITY / lang
        where = {(d.path, d.line) for d in found[lang].diagnostics}
        assert where == {
            (f"connectors/billing.{suffix}", _line(root / f"connectors/billing.{suffix}", connector_line)),
            (f"tools/broken.{suffix}", _line(root / f"tools/broken.{suffix}", tool_line)),
        }
    assert [t.name for r in found.values() for t in r.tools] == ["charge", "charge"]
    assert [c.name for r in found.values() for c in r.connectors] == []
