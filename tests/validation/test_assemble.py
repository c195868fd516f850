from __future__ import annotations

from pathlib import Path

from mcpgen.discovery import DiscoveryResult, discover
from mcpgen.manifest import ServerInfo, dumps, loads
from mcpgen.validation import build_manifest

SERVER = ServerInfo(name="good", version="1.2.3")


def test_manifest_is_byte_identical_across_runs(good: DiscoveryResult) -> None:
    first = dumps(build_manifest(good, SERVER, "0.1.0"))
    second = dumps(build_manifest(discover(Path(good.root)), SERVER, "0.1.0"))
    assert first == second
    assert b"/work/" not in first  # no absolute paths
    assert loads(first) == build_manifest(good, SERVER, "0.1.0")


def test_manifest_merges_credentials_dependencies_and_capabilities(good: DiscoveryResult) -> None:
    manifest = build_manifest(good, SERVER, "0.1.0")
    assert manifest.server == SERVER
    assert manifest.mcpgen_version == "0.1.0"
    assert [t.name for t in manifest.tools] == ["reverse", "summarize", "word_count"]
    (credential,) = manifest.credentials
    assert credential.name == "SUMMARY_API_KEY"
    assert credential.kind == "api_key"
    assert credential.required is False
    assert credential.declared_by == ("tools/summarize.py", "tools/word_count.py")
    assert manifest.dependencies.python == ["httpx<1,>=0.27"]
    assert (manifest.capabilities.tools, manifest.capabilities.resources, manifest.capabilities.prompts) == (
        True,
        True,
        True,
    )


def test_empty_workspace_has_no_capabilities(tmp_path: Path) -> None:
    manifest = build_manifest(discover(tmp_path), ServerInfo(name="empty"), "0.1.0")
    assert manifest.tools == []
    assert not manifest.capabilities.tools
    assert not manifest.capabilities.resources
    assert not manifest.capabilities.prompts
