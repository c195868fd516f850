"""TS/JS connectors in connectors/: described by the Node bridge; bad shapes are diagnostics, never crashes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mcpgen.discovery import discover
from mcpgen.validation import validate

Write = Callable[[Path, str, str], Path]

GOOD = """\
export default {
  metadata: {
    name: "gmail",
    type: "http",
    description: "Gmail",
    authentication: { type: "oauth2", scopes: ["gmail.readonly"] },
    credentials: ["GMAIL_CLIENT_ID", { name: "GMAIL_REFRESH_TOKEN", description: "refresh token", required: true }],
    methods: ["listMessages"],
    rateLimits: { requestsPerMinute: 250 },
    endpoint: "https://gmail.googleapis.com",
  },
  async initialize(config: Record<string, unknown>) {},
  async testConnection() { return true; },
  async disconnect() {},
  async listMessages() { return []; },
};
"""


def test_a_seed_shaped_ts_connector_becomes_a_manifest_entry(tmp_path: Path, write: Write) -> None:
    write(tmp_path, "connectors/gmail.ts", GOOD)
    result = discover(tmp_path)
    assert result.diagnostics == []
    (entry,) = result.connectors
    assert (entry.name, entry.kind, entry.auth, entry.required) == ("gmail", "http", "oauth2", True)
    assert entry.scopes == ["gmail.readonly"]
    assert entry.methods == ["listMessages"]
    assert entry.rate_limit == 250
    assert entry.endpoint == "https://gmail.googleapis.com"
    assert [c.name for c in entry.credentials] == ["GMAIL_CLIENT_ID", "GMAIL_REFRESH_TOKEN"]
    assert entry.credentials[1].description == "refresh token"
    ep = entry.entrypoint
    assert (ep.language, ep.path, ep.attribute, ep.kind) == (
        "typescript",
        "connectors/gmail.ts",
        "default",
        "seed",
    )
    assert entry.source.line == 3


def test_methods_default_to_the_functions_that_are_not_lifecycle(tmp_path: Path, write: Write) -> None:
    text = 'export default { metadata: { name: "slack" }, initialize() {}, post() {}, react() {} };\n'
    write(tmp_path, "connectors/slack.js", text)
    (entry,) = discover(tmp_path).connectors
    assert entry.methods == ["post", "react"]
    assert (entry.auth, entry.kind, entry.entrypoint.language) == ("none", "generic", "javascript")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("export default { metadata: { type: 'http' }, initialize() {} };", "metadata.name"),
        ("export default { metadata: { name: 'a b' }, initialize() {} };", "metadata.name"),
        ("export default { metadata: { name: 'x' }, initialize: 5 };", "initialize is not a function"),
        ("export default { metadata: { name: 'x' } };", "initialize is not a function"),
        (
            "export default { metadata: { name: 'x', authentication: { type: 'magic' } }, initialize() {} };",
            "metadata.authentication.type must be one of",
        ),
        (
            "export default { metadata: { name: 'x', authentication: { type: 'token' } }, initialize() {} };",
            "metadata.credentials is empty",
        ),
        (
            "export default { metadata: { name: 'x', credentials: [{ nope: 1 }] }, initialize() {} };",
            "credentials",
        ),
        ("export default { metadata: { name: 'x', methods: ['gone'] }, initialize() {} };", "'gone'"),
        (
            "export default { metadata: { name: 'x', rateLimits: { requestsPerMinute: -1 } }, initialize() {} };",
            "metadata.rateLimits.requestsPerMinute",
        ),
        (
            "export default { metadata: { name: 'x', endpoint: 'ftp://h' }, initialize() {} };",
            "metadata.endpoint",
        ),
        ("export default { initialize() {} };", "metadata is missing"),
        ("export const metadata = { name: 'x' };", "default-exports an object"),
    ],
)
def test_bad_shapes_are_diagnostics_naming_file_and_field(
    tmp_path: Path, write: Write, text: str, field: str
) -> None:
    write(tmp_path, "connectors/bad.ts", text + "\n")
    result = discover(tmp_path)
    assert result.connectors == []
    errors = [d for d in result.diagnostics if d.is_error]
    assert len(errors) == 1, result.diagnostics
    assert errors[0].path == "connectors/bad.ts"
    assert errors[0].code == "definition-error"
    assert field in errors[0].message


def test_a_connector_that_throws_at_import_is_a_diagnostic(tmp_path: Path, write: Write) -> None:
    write(tmp_path, "connectors/boom.ts", "throw new Error('no config at import time');\n")
    (diagnostic,) = discover(tmp_path).diagnostics
    assert (diagnostic.path, diagnostic.code) == ("connectors/boom.ts", "import-error")
    assert "no config at import time" in diagnostic.message


def test_ts_tools_declare_the_connectors_they_use(tmp_path: Path, write: Write) -> None:
    write(tmp_path, "connectors/gmail.ts", GOOD)
    tool = (
        "export const metadata = { name: 'inbox', schemaVersion: '1.0', inputSchema: { type: 'object' },"
        " connectors: ['gmail'] };\nexport async function handler(input, ctx) { return 1; }\n"
    )
    write(tmp_path, "tools/inbox.ts", tool)
    (entry,) = discover(tmp_path).tools
    assert entry.connectors == ["gmail"]


def test_a_ts_tool_cannot_use_a_python_connector(tmp_path: Path, write: Write) -> None:
    write(
        tmp_path,
        "connectors/db.py",
        "from mcpgen import connector\n\n\n@connector(name='db')\nclass Db:\n    async def connect(self) -> None: ...\n",
    )
    tool = (
        "export const metadata = { name: 'rows', schemaVersion: '1.0', inputSchema: { type: 'object' },"
        " connectors: ['db'] };\nexport async function handler(input, ctx) { return 1; }\n"
    )
    write(tmp_path, "tools/rows.ts", tool)
    report = validate(discover(tmp_path))
    codes = [d.code for d in report.diagnostics if d.is_error]
    assert codes == ["connector-language"]
