"""Shared inputs for the pure build tests: a small manifest and a fixed clock."""

from datetime import UTC, datetime

from mcpgen.manifest import Credential, Entrypoint, Manifest, ServerInfo, SourceRef, ToolEntry

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def tool(name: str, path: str = "tools/t.py") -> ToolEntry:
    return ToolEntry(
        name=name,
        input_schema={"type": "object"},
        entrypoint=Entrypoint(path=path, attribute=name),
        source=SourceRef(path=path),
    )


def small_manifest() -> Manifest:
    return Manifest(
        mcpgen_version="0.1.0",
        server=ServerInfo(name="demo", version="1.2.0"),
        tools=[tool("echo"), tool("add")],
        credentials=[Credential(name="API_KEY", required=True, declared_by=["tools/t.py"])],
    )
