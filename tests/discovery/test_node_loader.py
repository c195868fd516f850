"""Discovery of TypeScript/JavaScript tools through the Node bridge: good shapes and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcpgen.discovery import discover
from mcpgen.discovery.node_loader import jsdoc_credentials
from mcpgen.discovery.npm import NpmDeclared, imports_of, merge_npm
from mcpgen.validation import validate

OBJECT = '{ type: "object" }'


def _workspace(root: Path, files: dict[str, str], package: dict[str, object] | None = None) -> Path:
    for name, text in files.items():
        path = root / "tools" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if package is not None:
        (root / "tools" / "package.json").write_text(json.dumps(package))
    return root


def _codes(root: Path) -> list[tuple[str, str, int | None]]:
    report = validate(discover(root))
    return [(d.path, d.code, d.line) for d in report.diagnostics]


def test_native_default_object_and_tools_array_shapes(tmp_path: Path) -> None:
    root = _workspace(
        tmp_path,
        {
            "a.ts": f'export const metadata = {{ name: "a", description: "A", inputSchema: {OBJECT} }};\n'
            "export default async function handler(input: object) { return 1; }\n",
            "b.mjs": f'export default {{ metadata: {{ name: "b", description: "B", inputSchema: {OBJECT} }}, '
            "handler: async () => 2 };\n",
            "c.js": f'export const tools = [{{ metadata: {{ name: "c1", description: "C", inputSchema: {OBJECT} }}, '
            'handler: async () => 3 }, { name: "c2", description: "C2", inputSchema: { type: "object" }, '
            "handler: async () => 4 }];\n",
        },
    )
    result = discover(root)
    assert [d for d in result.diagnostics if d.is_error] == []
    entries = {t.name: t.entrypoint for t in result.tools}
    assert {n: (e.language, e.attribute, e.kind) for n, e in entries.items()} == {
        "a": ("typescript", "default", "native"),
        "b": ("javascript", "default", "native"),
        "c1": ("javascript", "tools.0", "native"),
        "c2": ("javascript", "tools.1", "native"),
    }


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("enum Color { Red }\nexport const metadata = { name: 'e' };\n", "unsupported-typescript", 1),
        (
            "export const metadata = { name: 's' };\n\nexport default function (x: number {\n",
            "syntax-error",
            3,
        ),
        ("process.exit(2);\n", "system-exit", 1),
        ("throw new TypeError('nope at import');\n", "import-error", 1),
        ("while (true) {}\n", "timeout", None),
        (
            "export const metadata = { name: 'bad_schema', description: 'x',\n  inputSchema: { type: 'objekt' } };\n"
            "export const handler = async () => 1;\n",
            "invalid-schema",
            1,
        ),
        (f"export const metadata = {{ name: 'nohandler', inputSchema: {OBJECT} }};\n", "definition-error", 1),
        (
            f"export const metadata = {{ name: 'c', inputSchema: {OBJECT},\n  credentials: 'API_KEY' }};\n"
            "export const handler = async () => 1;\n",
            "definition-error",
            1,
        ),
        (
            f"export const metadata = {{ name: 'p', inputSchema: {OBJECT},\n  credentials: [{{ name: 'K', pattern: '(' }}] }};\n"
            "export const handler = async () => 1;\n",
            "invalid-credential",
            1,
        ),
    ],
)
def test_broken_file_is_one_diagnostic_and_the_rest_loads(
    tmp_path: Path, text: str, code: str, line: int | None
) -> None:
    good = f'export const metadata = {{ name: "good", description: "G", inputSchema: {OBJECT} }};\nexport const handler = async () => 1;\n'
    root = _workspace(tmp_path, {"broken.ts": text, "good.ts": good})
    result = discover(root, timeout=3)
    assert [t.name for t in result.tools if t.name != "bad_schema"] == ["good"]
    report = validate(result)
    found = {(d.code, d.line) for d in report.errors if d.path == "tools/broken.ts"}
    assert found == {(code, line)}
    if code == "unsupported-typescript":
        assert "--experimental-transform-types" in report.errors[0].message


def test_duplicate_name_across_languages(tmp_path: Path) -> None:
    root = _workspace(
        tmp_path,
        {
            "dup.ts": f'export const metadata = {{ name: "lookup", description: "TS", inputSchema: {OBJECT} }};\n'
            "export const handler = async () => 1;\n",
            "dup.py": 'from mcpgen import tool\n\n\n@tool\ndef lookup() -> int:\n    """Py."""\n    return 1\n',
        },
    )
    report = validate(discover(root))
    (dup,) = [d for d in report.errors if d.code == "duplicate-name"]
    assert "tools/dup.py:4" in dup.message
    assert "tools/dup.ts:1" in dup.message


def test_import_of_undeclared_package_names_file_and_package_json(tmp_path: Path) -> None:
    (tmp_path / "tools" / "node_modules" / "leftpad").mkdir(parents=True)
    (tmp_path / "tools" / "node_modules" / "leftpad" / "package.json").write_text(
        '{"name": "leftpad", "type": "module", "main": "index.js"}'
    )
    (tmp_path / "tools" / "node_modules" / "leftpad" / "index.js").write_text("export default (s) => s;\n")
    root = _workspace(
        tmp_path,
        {
            "uses.js": "import fs from 'node:fs';\nimport path from 'path';\nimport pad from 'leftpad';\n"
            f'export const metadata = {{ name: "uses", description: "U", inputSchema: {OBJECT} }};\n'
            "export const handler = async () => pad('x');\n"
        },
        package={"name": "t", "type": "module"},
    )
    report = validate(discover(root))
    (problem,) = report.errors
    assert (problem.code, problem.path, problem.line) == ("undeclared-package", "tools/uses.js", 3)
    assert "'leftpad'" in problem.message
    assert "tools/package.json" in problem.message


def test_seed_shape_derives_schema_from_the_parameter_type_and_reads_jsdoc(tmp_path: Path) -> None:
    root = _workspace(
        tmp_path,
        {
            "seed.ts": "/**\n * @requires-credential WEATHER_KEY api_key required - The weather API key\n */\n"
            "interface Input {\n  /** The city */\n  city: string;\n  days?: number;\n}\n"
            "export const metadata = { name: 'weather', description: 'W', version: '1.0.0', schemaVersion: '1.0',\n"
            "  dependencies: { ms: '^2.1.0' } };\n"
            "export async function handler(input: Input, config: object) { return input.city; }\n",
            "untyped.js": "export default { name: 'untyped', description: 'U', handler: async (input) => input };\n",
        },
        package={"name": "t", "type": "module", "dependencies": {"ms": "2.1.3"}},
    )
    (root / "tools" / "node_modules" / "ms").mkdir(parents=True)
    result = discover(root)
    tools = {t.name: t for t in result.tools}
    weather = tools["weather"]
    assert weather.entrypoint.kind == "seed"
    assert weather.input_schema["required"] == ["city"]
    assert weather.input_schema["properties"]["city"] == {"type": "string", "description": "The city"}
    assert [(c.name, c.kind, c.required) for c in weather.credentials] == [("WEATHER_KEY", "api_key", True)]
    assert tools["untyped"].input_schema == {"type": "object"}
    (fallback,) = [d for d in result.diagnostics if d.code == "schema-fallback"]
    assert fallback.path == "tools/untyped.js"
    assert result.npm_dependencies == {"ms": "2.1.3 ^2.1.0"}


def test_conflicting_npm_ranges_are_an_error_naming_both() -> None:
    merged = merge_npm(
        [NpmDeclared("tools/package.json", "ms", "^2.0.0", 5), NpmDeclared("tools/x.ts", "ms", "^1.0.0")]
    )
    (problem,) = merged.diagnostics
    assert problem.code == "dependency-conflict"
    assert "tools/package.json:5" in problem.message
    assert problem.path == "tools/x.ts"
    assert merge_npm([NpmDeclared("a", "ms", "^2.0.0"), NpmDeclared("b", "ms", "^2.0.0")]).dependencies == {
        "ms": "^2.0.0"
    }


def test_imports_and_jsdoc_parsing() -> None:
    text = (
        "// import nope from 'commented';\nimport a from '@scope/pkg/sub';\nimport type { T } from 'types-only';\n"
        "const b = await import('dyn');\nconst c = require('cjs');\nimport './local.js';\nimport 'node:fs';\n"
    )
    assert imports_of(text) == [("@scope/pkg", 2), ("types-only", 3), ("dyn", 4), ("cjs", 5)]
    creds = jsdoc_credentials(
        "/**\n * @requires-credential A_KEY optional - first\n * @requires-credential B\n */"
    )
    assert [(c.name, c.kind, c.required, c.description) for c in creds] == [
        ("A_KEY", "secret", False, "first"),
        ("B", "secret", True, ""),
    ]


def test_whether_a_native_handler_takes_its_ctx(tmp_path: Path) -> None:
    """A handler declaring no ``ctx`` cannot log or report progress: the runtime may answer it on the fast path."""
    from mcpgen.manifest import ServerInfo
    from mcpgen.runtime import Registry, Settings
    from mcpgen.validation import build_manifest

    meta = f'{{ name: "NAME", description: "D", inputSchema: {OBJECT} }}'
    root = _workspace(
        tmp_path,
        {
            "bare.mjs": f"export const metadata = {meta.replace('NAME', 'bare')};\n"
            "export default async function handler(input) { return 1; }\n",
            "ctx.mjs": f"export const metadata = {meta.replace('NAME', 'ctx')};\n"
            "export default async (input, ctx) => { ctx.log('info', 'hi'); return 2; };\n",
        },
    )
    result = discover(root)
    assert {t.name: t.entrypoint.takes_context for t in result.tools} == {"bare": False, "ctx": True}
    manifest = build_manifest(result, ServerInfo(name="ctx", version="1"), "0.1.0")
    registry = Registry.load(manifest, Settings(root=root))
    params = {"name": "bare", "arguments": {}}
    assert not registry.may_stream("tools/call", params)
    assert registry.may_stream("tools/call", {**params, "name": "ctx"})
