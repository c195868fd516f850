"""Required credentials fail start-up by name; credential values never reach the logs."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from mcpgen.errors import CredentialError
from mcpgen.manifest import Credential, Manifest, ServerInfo, write
from mcpgen.runtime.credentials import (
    REDACTED,
    RedactingFilter,
    check_credentials,
    credential_values,
    missing_credentials,
)
from mcpgen.runtime.logs import KeyValueFormatter
from mcpgen.validation import merge_credentials

from .conftest import make_manifest, runtime_env, start_server

SENTINEL = "sk-live-SENTINEL-9f8e7d6c5b4a"

TOOL = '''
import logging
from mcpgen import Context, Credential, ToolError, tool

@tool(credentials=[Credential("PAYMENTS_KEY", kind="api_key")])
def charge(amount: int, ctx: Context) -> str:
    """Charge an amount."""
    key = ctx.credential("PAYMENTS_KEY")
    logging.getLogger("payments").warning("charging with key " + str(key))
    if amount < 0:
        raise RuntimeError(f"bad amount with key {key}")
    return "charged " + ("with key" if key == "SENTINEL_VALUE" else "without key")
'''.replace("SENTINEL_VALUE", SENTINEL)


def _manifest(credentials: list[Credential]) -> Manifest:
    return Manifest(mcpgen_version="0", server=ServerInfo(name="s"), credentials=credentials)


def test_missing_required_credentials_are_all_named_with_their_modules() -> None:
    manifest = _manifest(
        [
            Credential(name="A_KEY", declared_by=["tools/a.py", "tools/b.py"]),
            Credential(name="B_KEY", declared_by=["tools/b.py"]),
            Credential(name="OPTIONAL", required=False, declared_by=["tools/c.py"]),
            Credential(name="CLIENT_SECRET", when="AUTH=oauth2", declared_by=["tools/d.py"]),
        ]
    )
    with pytest.raises(CredentialError) as info:
        check_credentials(manifest, {"A_KEY": ""})
    assert info.value.missing == {"A_KEY": ["tools/a.py", "tools/b.py"], "B_KEY": ["tools/b.py"]}
    assert "A_KEY (needed by tools/a.py, tools/b.py)" in info.value.message
    assert missing_credentials(manifest, {"A_KEY": "x", "B_KEY": "y", "AUTH": "oauth2"}) == {
        "CLIENT_SECRET": ["tools/d.py"]
    }
    check_credentials(manifest, {"A_KEY": "x", "B_KEY": "y", "AUTH": "api_key"})


def test_redacting_filter_cleans_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KeyValueFormatter())
    handler.addFilter(RedactingFilter([SENTINEL, "abc"]))  # "abc" is too short to redact
    log = logging.getLogger("test.redact")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("key=%s", SENTINEL, extra={"tool": f"t-{SENTINEL}"})
        try:
            raise ValueError(f"boom {SENTINEL}")
        except ValueError:
            log.exception("failed")
        log.warning("abc stays")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert SENTINEL not in text
    assert text.count(REDACTED) >= 3
    assert "abc stays" in text


def test_server_refuses_to_start_without_a_required_credential(tmp_path: Path) -> None:
    manifest, _ = make_manifest(tmp_path, {"charge.py": TOOL})
    creds, _ = merge_credentials(manifest.tools)
    write(manifest.model_copy(update={"credentials": creds}), tmp_path / ".mcpgen" / "manifest.json")
    env = runtime_env()
    env.pop("PAYMENTS_KEY", None)
    proc = subprocess.run(
        [sys.executable, "-m", "mcpgen.runtime", "--manifest", str(tmp_path / ".mcpgen" / "manifest.json")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "PAYMENTS_KEY" in proc.stderr
    assert "tools/charge.py" in proc.stderr


@pytest.mark.anyio
async def test_credential_values_are_redacted_from_server_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mcp import Client

    manifest, _ = make_manifest(tmp_path, {"charge.py": TOOL})
    creds, _ = merge_credentials(manifest.tools)
    full = manifest.model_copy(update={"credentials": creds})
    write(full, tmp_path / ".mcpgen" / "manifest.json")
    assert credential_values(full, {"PAYMENTS_KEY": SENTINEL}) == [SENTINEL]
    monkeypatch.setenv("PAYMENTS_KEY", SENTINEL)
    server = start_server(tmp_path)
    try:
        async with Client(server.mcp_url) as client:
            ok = await client.call_tool("charge", {"amount": 5})
            assert ok.content[0].text == "charged with key"  # type: ignore[union-attr]
            failed = await client.call_tool("charge", {"amount": -1})
            assert failed.is_error
            assert SENTINEL not in failed.content[0].text  # type: ignore[union-attr]
    finally:
        server.stop()
    log = server.log()
    assert "charging with key" in log
    assert REDACTED in log
    assert SENTINEL not in log
    assert SENTINEL not in (tmp_path / ".mcpgen" / "manifest.json").read_text()


def test_config_secrets_are_collected_for_redaction(tmp_path: Path) -> None:
    from mcpgen.config import load_config
    from mcpgen.runtime.settings import config_secrets, settings_from_config

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(
        "database:\n  type: postgres\n  url: postgresql://app:db-pass-778899@db/app\n"
        "services:\n  notion:\n    api_key: ${NOTION_KEY}\n    endpoint: https://api.notion.com\n"
    )
    config = load_config(tmp_path, environ={"NOTION_KEY": "secret_notion_abcdef"}).config
    found = config_secrets(config)
    assert "secret_notion_abcdef" in found
    assert "db-pass-778899" in found
    assert "https://api.notion.com" not in found
    settings = settings_from_config(config, tmp_path)
    assert "secret_notion_abcdef" in settings.secret_values
    assert "secret_notion_abcdef" not in repr(settings)
