"""``mcpgen init``: plan the files of a new workspace (pure), then write the ones that are missing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mcpgen.config.project import default_name

_PROJECT = """\
# mcpgen project file. `mcpgen dev` serves this workspace; `mcpgen manifest` describes it.
name: {name}
version: 0.1.0
description: An MCP server made with mcpgen
"""

_HELLO = '''\
"""An example tool. Every function decorated with @tool in tools/ becomes an MCP tool.

The input schema comes from the type hints, the description from the docstring,
and each parameter's description from the "Args:" section.
"""

from typing import Literal

from mcpgen import Context, ToolError, tool


@tool(annotations={"readOnlyHint": True})
async def greet(name: str, style: Literal["plain", "excited"] = "plain", ctx: Context | None = None) -> str:
    """Greet someone by name.

    Args:
        name: Who to greet.
        style: "plain" or "excited".
    """
    if not name.strip():
        raise ToolError("name must not be empty")  # the client sees this message, with isError: true
    if ctx is not None:
        ctx.info(f"greeting {name}")  # a log line for the server log and a notification for the client
    return f"Hello, {name}{'!' if style == 'excited' else '.'}"
'''

_HELLO_TS = """\
/**
 * An example TypeScript tool. Every .ts/.js file in tools/ that exports `metadata` and a handler
 * becomes an MCP tool. Node 24 runs it directly (types are stripped), in a pool of worker processes.
 * Not supported by type stripping: enums, namespaces, parameter properties (use unions and objects).
 */

interface Context {
  requestId: string | null;
  info(message: string, data?: Record<string, unknown>): void;
  reportProgress(progress: number, total?: number, message?: string): void;
  credential(name: string): string | null;
}

type Input = { name: string; style?: "plain" | "excited" };

export const metadata = {
  name: "greet",
  description: "Greet someone by name.",
  schemaVersion: "1.0",
  inputSchema: {
    type: "object",
    properties: {
      name: { type: "string", description: "Who to greet." },
      style: { type: "string", enum: ["plain", "excited"], default: "plain" },
    },
    required: ["name"],
    additionalProperties: false,
  },
  annotations: { readOnlyHint: true },
};

export default async function handler(input: Input, ctx: Context): Promise<string> {
  if (!input.name.trim()) throw new Error("name must not be empty"); // the client sees it, with isError
  ctx.info(`greeting ${input.name}`); // server log + a log notification for the client
  return `Hello, ${input.name}${input.style === "excited" ? "!" : "."}`;
}
"""

_PACKAGE_JSON = """\
{{
  "name": "{name}-tools",
  "private": true,
  "type": "module",
  "dependencies": {{}}
}}
"""

_GITIGNORE = """\
# mcpgen state: manifests, build contexts, logs, encrypted secrets
.mcpgen/
__pycache__/
node_modules/
"""

_README = """\
# {name}

An MCP server built with [mcpgen](https://github.com/mcpgen/mcpgen).

- `mcpgen validate` checks the tools in `tools/`.
- `mcpgen dev` serves them on http://127.0.0.1:8080/mcp and reloads on change.
- `mcpgen serve --transport stdio` serves them to a desktop client.

Add a tool: drop a Python file with a `@tool`-decorated function into `tools/`.
"""

_EXAMPLE_TEST = '''\
"""Tests for the tools in tools/. `mcpgen test` runs them: pytest, with the mcpgen.testing plugin.

`mcp_client` is the official MCP SDK client, connected to this workspace served on 127.0.0.1;
every test using it runs once per protocol version (2025-11-25 and 2026-07-28).
More fixtures (connector mocks, schema snapshots, recorded sessions, Docker): docs/testing.md.
"""

from mcpgen.testing import assert_tool_error, assert_tool_ok


async def test_greet(mcp_client):
    result = await mcp_client.call_tool("greet", {"name": "Ada"})
    assert_tool_ok(result, text="Hello, Ada.")


async def test_greet_refuses_an_empty_name(mcp_client):
    result = await mcp_client.call_tool("greet", {"name": " "})
    assert_tool_error(result, message="name must not be empty")
'''


@dataclass(frozen=True)
class InitResult:
    root: Path
    created: list[Path]
    skipped: list[Path]


Lang = Literal["python", "typescript"]


def _tool_files(lang: Lang, name: str) -> dict[Path, str]:
    if lang == "typescript":
        return {
            Path("tools/greet.ts"): _HELLO_TS,
            Path("tools/package.json"): _PACKAGE_JSON.format(name=name),
        }
    return {Path("tools/greet.py"): _HELLO}


def plan_init(root: Path, lang: Lang = "python") -> dict[Path, str]:
    """Files (relative paths) and their contents for a new workspace at ``root``."""
    name = default_name(root)
    return {
        Path("mcpgen.yaml"): _PROJECT.format(name=name),
        **_tool_files(lang, name),
        Path("tests/test_tools.py"): _EXAMPLE_TEST,
        Path("resources/.gitkeep"): "",
        Path("prompts/.gitkeep"): "",
        Path("connectors/.gitkeep"): "",
        Path(".gitignore"): _GITIGNORE,
        Path("README.md"): _README.format(name=name),
    }


def init_workspace(root: Path, *, force: bool = False, lang: Lang = "python") -> InitResult:
    """Write the planned files; existing files are kept unless ``force``."""
    created: list[Path] = []
    skipped: list[Path] = []
    for rel, text in plan_init(root, lang).items():
        target = root / rel
        if target.exists() and not force:
            skipped.append(rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        created.append(rel)
    return InitResult(root=root, created=created, skipped=skipped)
