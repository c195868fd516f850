"""``mcpgen install CLIENT``: the files written, read back, in each client's real shape and place."""

from __future__ import annotations

import json
import os
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from typer.testing import CliRunner

from mcpgen.cli.app import app
from mcpgen.errors import ClientConfigError, UsageError
from mcpgen.workflows import clients

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throwaway HOME (and config home): every client file lands under it."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("MCPGEN_CLIENT_CONFIG", raising=False)
    return home


def install(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["install", *args])
    return result.exit_code, result.stdout, result.stderr


def read(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text())
    return data


EXPECTED_FILES = {
    "claude-desktop": ".config/Claude/claude_desktop_config.json",
    "claude-code": ".claude.json",
    "cursor": ".cursor/mcp.json",
    "vscode": ".config/Code/User/mcp.json",
    "gemini": ".gemini/settings.json",
}


@pytest.mark.parametrize("client", sorted(EXPECTED_FILES))
def test_stdio_entry_in_each_clients_own_file_and_shape(client: str, home: Path) -> None:
    code, out, err = install(client, str(DEMO), "--env", "LOG=1", "--json")
    assert code == 0, out + err
    path = home / EXPECTED_FILES[client]
    assert json.loads(out)["file"] == str(path)
    data = read(path)
    key = "servers" if client == "vscode" else "mcpServers"
    assert list(data) == [key]
    entry = data[key]["demo"]  # type: ignore[index]
    command = entry.pop("command")
    assert Path(command).is_absolute()
    assert Path(command).name == "mcpgen"
    assert os.access(command, os.X_OK)
    expected: dict[str, object] = {
        "args": ["serve", str(DEMO), "--transport", "stdio"],
        "env": {"LOG": "1"},
    }
    if client in ("vscode", "claude-code"):
        expected["type"] = "stdio"
    assert entry == expected
    assert path.stat().st_mode & 0o077 == 0  # a new file may hold env values: owner only


@pytest.mark.parametrize(
    ("platform", "environ", "expected"),
    [
        ("darwin", {"HOME": "/u"}, "/u/Library/Application Support/Claude/claude_desktop_config.json"),
        ("win32", {"HOME": "/u", "APPDATA": "/appdata"}, "/appdata/Claude/claude_desktop_config.json"),
        ("linux", {"HOME": "/u", "XDG_CONFIG_HOME": "/xdg"}, "/xdg/Claude/claude_desktop_config.json"),
        ("linux", {"HOME": "/u"}, "/u/.config/Claude/claude_desktop_config.json"),
    ],
)
def test_claude_desktop_location_per_platform(platform: str, environ: dict[str, str], expected: str) -> None:
    spec = clients.client_spec("claude-desktop")
    path = clients.config_path(spec, "user", environ=environ, platform=platform, cwd=Path("/w"))
    assert path == Path(expected)


def test_vscode_user_file_per_platform_and_project_files() -> None:
    vscode = clients.client_spec("vscode")
    mac = clients.config_path(vscode, "user", environ={"HOME": "/u"}, platform="darwin", cwd=Path("/w"))
    assert mac == Path("/u/Library/Application Support/Code/User/mcp.json")
    projects = {
        name: clients.config_path(spec, "project", environ={}, platform="linux", cwd=Path("/w"))
        for name, spec in clients.CLIENTS.items()
        if spec.project_file
    }
    assert projects == {
        "claude-code": Path("/w/.mcp.json"),
        "cursor": Path("/w/.cursor/mcp.json"),
        "vscode": Path("/w/.vscode/mcp.json"),
        "gemini": Path("/w/.gemini/settings.json"),
    }
    with pytest.raises(UsageError, match="no project-scoped"):
        clients.config_path(
            clients.client_spec("claude-desktop"), "project", environ={}, platform="linux", cwd=Path("/w")
        )


def test_merge_keeps_other_servers_and_keys_and_backs_up_the_old_file(home: Path) -> None:
    path = home / ".claude.json"
    before = {
        "numStartups": 12,
        "projects": {"/src/app": {"mcpServers": {"local": {"command": "x"}}}},
        "mcpServers": {"other": {"type": "http", "url": "https://example.invalid/mcp"}},
        "theme": "dark",
    }
    old_text = json.dumps(before, indent=4)
    path.write_text(old_text)
    path.chmod(0o640)
    code, out, err = install("claude-code", str(DEMO), "--json")
    assert code == 0, out + err
    result = json.loads(out)
    assert result["action"] == "added"
    data = read(path)
    assert list(data) == ["numStartups", "projects", "mcpServers", "theme"]  # order kept
    assert data["projects"] == before["projects"]
    assert data["theme"] == "dark"
    assert data["numStartups"] == 12
    assert set(data["mcpServers"]) == {"other", "demo"}  # type: ignore[arg-type]
    assert data["mcpServers"]["other"] == before["mcpServers"]["other"]  # type: ignore[index]
    backup = Path(result["backup"])
    assert backup.parent == path.parent
    assert backup.name.startswith(".claude.json.")
    assert backup.read_text() == old_text
    assert path.stat().st_mode & 0o777 == 0o640  # the file keeps its mode

    # the same again: nothing to do, no new backup
    code, out, _ = install("claude-code", str(DEMO), "--json")
    assert json.loads(out)["action"] == "unchanged"
    assert json.loads(out)["backup"] is None
    assert len(list(path.parent.glob(".claude.json.*.bak"))) == 1

    # a changed entry replaces ours only; the previous file is kept too
    code, out, _ = install("claude-code", str(DEMO), "--env", "A=1", "--json")
    assert json.loads(out)["action"] == "replaced"
    assert read(path)["mcpServers"]["demo"]["env"] == {"A": "1"}  # type: ignore[index]
    assert read(path)["mcpServers"]["other"] == before["mcpServers"]["other"]  # type: ignore[index]
    assert len(list(path.parent.glob(".claude.json.*.bak"))) == 2


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ('{\n  "mcpServers": {\n    "a": {"command": "x"},\n  }\n}\n', 4, "not valid JSON"),
        ('{\n  // my servers\n  "mcpServers": {}\n}\n', 2, "not valid JSON"),
        ('{\n  "mcpServers": {},\n  "mcpServers": {"a": {}}\n}\n', 2, "appears twice"),
        ('{\n  "x": 1,\n  "mcpServers": ["a"]\n}\n', 3, "must be an object"),
        ("[1, 2]\n", 1, "JSON object"),
    ],
)
def test_malformed_file_is_refused_naming_file_and_line_and_left_untouched(
    home: Path, text: str, line: int, what: str
) -> None:
    path = home / ".cursor" / "mcp.json"
    path.parent.mkdir()
    path.write_text(text)
    code, _out, err = install("cursor", str(DEMO))
    assert code == 1
    assert f"{path}:{line}" in err
    assert what in err
    assert path.read_text() == text
    assert sorted(p.name for p in path.parent.iterdir()) == ["mcp.json"]  # no backup, no temp file


def test_http_entries_refer_to_the_token_never_hold_one(home: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "tools").mkdir(parents=True)
    (ws / "config").mkdir()
    (ws / "config" / "config.yaml").write_text("server:\n  port: 9123\n  auth:\n    api_keys: true\n")
    got = {}
    for client in ("claude-code", "cursor", "vscode", "gemini"):
        code, out, err = install(client, str(ws), "--transport", "http", "--name", "ws", "--json")
        assert code == 0, out + err
        got[client] = read(Path(json.loads(out)["file"]))
    url = "http://127.0.0.1:9123/mcp"
    assert got["claude-code"]["mcpServers"]["ws"] == {  # type: ignore[index]
        "type": "http",
        "url": url,
        "headers": {"Authorization": "Bearer ${MCPGEN_API_KEY}"},
    }
    assert got["cursor"]["mcpServers"]["ws"] == {  # type: ignore[index]
        "url": url,
        "headers": {"Authorization": "Bearer ${env:MCPGEN_API_KEY}"},
    }
    assert got["gemini"]["mcpServers"]["ws"] == {  # type: ignore[index]
        "httpUrl": url,
        "headers": {"Authorization": "Bearer ${MCPGEN_API_KEY}"},
    }
    assert got["vscode"] == {
        "servers": {
            "ws": {"type": "http", "url": url, "headers": {"Authorization": "Bearer ${input:ws-token}"}}
        },
        "inputs": [
            {
                "type": "promptString",
                "id": "ws-token",
                "description": "API key or token for the ws MCP server",
                "password": True,
            }
        ],
    }
    # again: the prompt is not added twice
    install("vscode", str(ws), "--transport", "http", "--name", "ws")
    assert len(read(home / ".config/Code/User/mcp.json")["inputs"]) == 1  # type: ignore[arg-type]


def test_http_without_auth_has_no_header_and_url_and_headers_options_win(home: Path) -> None:
    code, out, err = install(
        "cursor", str(DEMO), "--transport", "http", "--url", "https://mcp.example.test/mcp",
        "--header", "X-Team: blue", "--print", "--json",
    )  # fmt: skip
    assert code == 0, out + err
    assert json.loads(out) == {
        "mcpServers": {"demo": {"url": "https://mcp.example.test/mcp", "headers": {"X-Team": "blue"}}}
    }
    assert not (home / ".cursor").exists()  # --print writes nothing


def test_refusals_name_the_problem(home: Path) -> None:
    code, _, err = install("claude-desktop", str(DEMO), "--transport", "http")
    assert code == 2
    assert "only starts local (stdio) servers" in err
    code, _, err = install("cursor", str(DEMO), "--env", "1BAD=x")
    assert code == 2
    assert "'1BAD' is not an environment variable name" in err
    code, _, err = install("cursor", str(DEMO), "--transport", "http", "--env", "A=1")
    assert code == 2
    assert "--env applies to stdio servers" in err
    code, _, err = install("cursor", str(DEMO), "--name", "bad name")
    assert code == 2
    assert "--name 'bad name'" in err
    assert not (home / ".cursor").exists()


def test_config_file_option_and_project_scope(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "elsewhere" / "mcp.json"
    code, out, err = install("cursor", str(DEMO), "--config-file", str(target))
    assert code == 0, out + err
    assert "demo" in read(target)["mcpServers"]  # type: ignore[operator]
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    code, out, err = install("vscode", str(DEMO), "--scope", "project")
    assert code == 0, out + err
    assert "demo" in read(project / ".vscode" / "mcp.json")["servers"]  # type: ignore[operator]


def test_read_document_refuses_without_touching() -> None:
    with pytest.raises(ClientConfigError) as info:
        clients.read_document(Path(__file__), "mcpServers")  # Python is not JSON
    assert info.value.line == 1
    assert info.value.path == Path(__file__)


@pytest.mark.integration
@pytest.mark.anyio
async def test_the_written_stdio_entry_starts_a_working_server(home: Path) -> None:
    """What a client does: read its file, start the command with its args, speak MCP over stdio."""
    code, out, err = install("claude-code", str(DEMO), "--json")
    assert code == 0, out + err
    entry = read(home / ".claude.json")["mcpServers"]["demo"]  # type: ignore[index]
    params = StdioServerParameters(
        command=entry["command"], args=entry["args"], env={**os.environ, **entry.get("env", {})}
    )
    with anyio.fail_after(60):
        async with Client(params) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert {"summarize", "classify", "translate"} <= names
            result = await client.call_tool("summarize", {"text": "One. Two is longer.", "max_length": 40})
            assert not result.is_error


def test_an_mcpgen_from_uvx_cache_gets_a_note(tmp_path: Path) -> None:
    cached = "/root/.cache/uv/archive-v0/Abc123/bin/mcpgen"
    launch, notes = clients.workspace_launch(DEMO, "stdio", command=lambda: cached)
    assert launch.command == cached
    assert any("uv tool install" in note for note in notes)
    _, notes = clients.workspace_launch(DEMO, "stdio", command=lambda: "/home/u/.local/bin/mcpgen")
    assert notes == []
