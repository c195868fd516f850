"""``mcpgen install CLIENT``: put a workspace's server into an MCP client's own config file.

Plan, then effect. :func:`plan_install` works out which file (per client, platform
and scope), the server entry in that client's shape, and the merged document;
:func:`apply_install` writes it: a timestamped backup of the previous file first,
then an atomic replace. Nothing else in the file changes: other servers and every
unrelated key are kept as they were. A file that is not valid JSON (or has a
duplicate key, or a servers section that is not an object) is refused, naming the
file and line, and left untouched.

The shapes, as the clients document them:

=============== ====================================================== ============ ==========================
client          file (user scope / project scope)                      servers key  HTTP entry
=============== ====================================================== ============ ==========================
claude-desktop  ``claude_desktop_config.json`` in the app's config dir ``mcpServers`` (stdio only)
claude-code     ``~/.claude.json`` / ``./.mcp.json``                   ``mcpServers`` ``type: http``, ``url``
cursor          ``~/.cursor/mcp.json`` / ``./.cursor/mcp.json``        ``mcpServers`` ``url``
vscode          ``Code/User/mcp.json`` / ``./.vscode/mcp.json``        ``servers``    ``type: http``, ``url``
gemini          ``~/.gemini/settings.json`` / ``./.gemini/settings.json`` ``mcpServers`` ``httpUrl``
=============== ====================================================== ============ ==========================

Secrets are never invented: an HTTP server with inbound auth gets an
``Authorization: Bearer`` header that *refers* to an environment variable (or,
in VS Code, to a password input prompted once), in the client's own syntax.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from mcpgen.errors import ClientConfigError, UsageError

Transport = Literal["stdio", "http"]
Scope = Literal["user", "project"]
DEFAULT_TOKEN_ENV = "MCPGEN_API_KEY"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SERVER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _config_home(home: Path, environ: Mapping[str, str], platform: str) -> Path:
    """Where desktop apps keep their settings: Application Support, %APPDATA% or $XDG_CONFIG_HOME."""
    if platform == "darwin":
        return home / "Library" / "Application Support"
    if platform == "win32":
        return Path(environ.get("APPDATA") or home / "AppData" / "Roaming")
    return Path(environ.get("XDG_CONFIG_HOME") or home / ".config")


@dataclass(frozen=True)
class ClientSpec:
    """One client: where its config lives and how it spells a server entry."""

    name: str
    title: str
    user_file: Callable[[Path, Mapping[str, str], str], Path]
    project_file: str | None
    servers_key: str = "mcpServers"
    stdio_type: bool = False
    """Write ``"type": "stdio"`` in stdio entries."""
    http_url_key: str | None = "url"
    """``None``: the client's config file cannot name an HTTP server."""
    http_type: str | None = None
    env_ref: Callable[[str], str] = field(default=lambda name: "${" + name + "}")
    """How a value refers to an environment variable of the client's process."""


CLIENTS: dict[str, ClientSpec] = {
    spec.name: spec
    for spec in (
        ClientSpec(
            "claude-desktop",
            "Claude Desktop",
            lambda home, env, p: _config_home(home, env, p) / "Claude" / "claude_desktop_config.json",
            None,
            http_url_key=None,
        ),
        ClientSpec(
            "claude-code",
            "Claude Code",
            lambda home, env, p: home / ".claude.json",
            ".mcp.json",
            stdio_type=True,
            http_type="http",
        ),
        ClientSpec(
            "cursor",
            "Cursor",
            lambda home, env, p: home / ".cursor" / "mcp.json",
            ".cursor/mcp.json",
            env_ref=lambda name: "${env:" + name + "}",
        ),
        ClientSpec(
            "vscode",
            "VS Code",
            lambda home, env, p: _config_home(home, env, p) / "Code" / "User" / "mcp.json",
            ".vscode/mcp.json",
            servers_key="servers",
            stdio_type=True,
            http_type="http",
            env_ref=lambda name: "${env:" + name + "}",
        ),
        ClientSpec(
            "gemini",
            "Gemini CLI",
            lambda home, env, p: home / ".gemini" / "settings.json",
            ".gemini/settings.json",
            http_url_key="httpUrl",
        ),
    )
}


@dataclass(frozen=True)
class Launch:
    """How the client reaches the server: a command (stdio) or a URL (HTTP)."""

    name: str
    transport: Transport
    command: str = ""
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    token_env: str | None = None
    """HTTP with inbound auth: the environment variable the client takes the bearer token from."""


@dataclass(frozen=True)
class InstallPlan:
    client: ClientSpec
    path: Path
    name: str
    entry: dict[str, Any]
    inputs: list[dict[str, Any]]
    """VS Code only: the password inputs the entry's headers refer to."""
    notes: tuple[str, ...] = ()

    def snippet(self) -> dict[str, Any]:
        """What ``--print`` shows: the servers section with this one entry (and VS Code's inputs)."""
        data: dict[str, Any] = {self.client.servers_key: {self.name: self.entry}}
        if self.inputs:
            data["inputs"] = self.inputs
        return data


@dataclass(frozen=True)
class InstallResult:
    plan: InstallPlan
    action: Literal["added", "replaced", "unchanged"]
    backup: Path | None

    def to_data(self) -> dict[str, Any]:
        return {
            "client": self.plan.client.name,
            "name": self.plan.name,
            "file": str(self.plan.path),
            "action": self.action,
            "backup": str(self.backup) if self.backup else None,
            "entry": self.plan.entry,
            "notes": list(self.plan.notes),
        }


def client_spec(name: str) -> ClientSpec:
    try:
        return CLIENTS[name]
    except KeyError:
        raise UsageError(f"unknown client {name!r}; choose one of: {', '.join(CLIENTS)}") from None


def config_path(
    spec: ClientSpec, scope: Scope, *, environ: Mapping[str, str], platform: str, cwd: Path
) -> Path:
    """The client's config file for ``scope`` (project files are relative to ``cwd``)."""
    if scope == "project":
        if spec.project_file is None:
            raise UsageError(f"{spec.title} has no project-scoped config file; use --scope user")
        return cwd / spec.project_file
    home = Path(environ.get("HOME") or environ.get("USERPROFILE") or Path.home())
    return spec.user_file(home, environ, platform)


def parse_pairs(values: Sequence[str], what: str, *, sep: str = "=") -> dict[str, str]:
    """``K=V`` options (``--env``, ``--header``) as a dict; a malformed one is a usage error naming it."""
    pairs: dict[str, str] = {}
    for raw in values:
        key, found, value = raw.partition(sep)
        key = key.strip()
        if not found or not key:
            raise UsageError(f"{what} {raw!r}: expected KEY{sep}VALUE")
        if what == "--env" and not _ENV_NAME.match(key):
            raise UsageError(f"--env {raw!r}: {key!r} is not an environment variable name")
        pairs[key] = value.strip() if what == "--header" else value
    return pairs


def mcpgen_command() -> str:
    """The absolute path of this mcpgen's executable (what a stdio client runs)."""
    folder = Path(sys.executable).parent
    for candidate in (folder / "mcpgen", folder / "mcpgen.exe"):
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("mcpgen")
    if found:
        return str(Path(found).resolve())
    raise UsageError(
        "cannot find the mcpgen executable to put into the client's config",
        hint="install mcpgen with `pipx install 'mcpgen[cli]'` (or `uv tool install`) so it has a stable path",
    )


def server_entry(spec: ClientSpec, launch: Launch) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The client-shaped entry for ``launch``, and the VS Code inputs it refers to."""
    entry: dict[str, Any] = {}
    inputs: list[dict[str, Any]] = []
    if launch.transport == "stdio":
        if spec.stdio_type:
            entry["type"] = "stdio"
        entry["command"] = launch.command
        entry["args"] = list(launch.args)
        if launch.env:
            entry["env"] = dict(launch.env)
        return entry, inputs
    if spec.http_url_key is None:
        raise UsageError(
            f"{spec.title}'s config file only starts local (stdio) servers",
            hint="use --transport stdio, or add the URL in the app under Settings → Connectors",
        )
    if spec.http_type:
        entry["type"] = spec.http_type
    entry[spec.http_url_key] = launch.url
    headers = dict(launch.headers)
    if launch.token_env and "Authorization" not in headers:
        if spec.name == "vscode":
            input_id = f"{launch.name}-token"
            inputs.append(
                {
                    "type": "promptString",
                    "id": input_id,
                    "description": f"API key or token for the {launch.name} MCP server",
                    "password": True,
                }
            )
            headers["Authorization"] = "Bearer ${input:" + input_id + "}"
        else:
            headers["Authorization"] = f"Bearer {spec.env_ref(launch.token_env)}"
    if headers:
        entry["headers"] = headers
    if launch.env:  # HTTP servers run elsewhere: the client passes no environment
        raise UsageError("--env applies to stdio servers (the client starts them); not with --transport http")
    return entry, inputs


# --- reading and merging ----------------------------------------------------------------------------


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def _no_duplicates(path: Path, text: str) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                line = _line_of(text, json.dumps(key))
                raise ClientConfigError(
                    f"{path}:{line or '?'}: key {key!r} appears twice (JSON keeps only one; "
                    "mcpgen will not drop either)",
                    path=path,
                    line=line,
                )
            seen[key] = value
        return seen

    return hook


def read_document(path: Path, servers_key: str) -> tuple[dict[str, Any], str | None]:
    """The client's config as a dict (empty when there is no file) and its text (``None``: no file).

    Refuses, naming file and line, anything it could not merge into without losing something.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, None
    except (OSError, UnicodeDecodeError) as exc:
        raise ClientConfigError(f"cannot read {path}: {exc}", path=path) from exc
    if not text.strip():
        return {}, text
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates(path, text))
    except json.JSONDecodeError as exc:
        raise ClientConfigError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); the file was left as it is",
            path=path,
            line=exc.lineno,
            hint="fix the file (comments and trailing commas are not JSON), or use --print and paste the entry",
        ) from exc
    if not isinstance(data, dict):
        raise ClientConfigError(f"{path}:1: expected a JSON object at the top", path=path, line=1)
    servers = data.get(servers_key)
    if servers is not None and not isinstance(servers, dict):
        line = _line_of(text, json.dumps(servers_key))
        raise ClientConfigError(
            f"{path}:{line or '?'}: {servers_key!r} must be an object of servers by name",
            path=path,
            line=line,
        )
    return data, text


def merge_entry(
    document: Mapping[str, Any], servers_key: str, name: str, entry: Mapping[str, Any], inputs: Sequence[Any]
) -> tuple[dict[str, Any], Literal["added", "replaced", "unchanged"]]:
    """``document`` with ``entry`` under ``servers_key.name`` (and VS Code ``inputs`` by id); the rest as is."""
    merged = json.loads(json.dumps(document))  # a deep copy that keeps key order
    servers = merged.setdefault(servers_key, {})
    previous = servers.get(name)
    servers[name] = json.loads(json.dumps(entry))
    if inputs:
        existing = merged.setdefault("inputs", [])
        if not isinstance(existing, list):
            raise UsageError("the file's 'inputs' is not a list; cannot add the token prompt")
        ids = {item.get("id") for item in existing if isinstance(item, dict)}
        existing.extend(dict(item) for item in inputs if item["id"] not in ids)
    if previous is None:
        action: Literal["added", "replaced", "unchanged"] = "added"
    else:
        action = "unchanged" if merged == document else "replaced"
    return merged, action


def plan_install(
    client: str,
    launch: Launch,
    *,
    scope: Scope = "user",
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    platform: str = sys.platform,
    cwd: Path | None = None,
    notes: Sequence[str] = (),
) -> InstallPlan:
    spec = client_spec(client)
    if not _SERVER_NAME.match(launch.name):
        raise UsageError(f"--name {launch.name!r}: use 1-64 letters, digits, '_', '.', '-'")
    entry, inputs = server_entry(spec, launch)
    path = config_file or config_path(
        spec,
        scope,
        environ=os.environ if environ is None else environ,
        platform=platform,
        cwd=cwd or Path.cwd(),
    )
    return InstallPlan(spec, path, launch.name, entry, inputs, tuple(notes))


def _backup_path(path: Path, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.{stamp}.bak")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{stamp}-{n}.bak")
    return candidate


def apply_install(plan: InstallPlan, *, now: datetime | None = None) -> InstallResult:
    """Merge the plan's entry into its file: backup of the old file, then an atomic replace."""
    document, old_text = read_document(plan.path, plan.client.servers_key)
    merged, action = merge_entry(document, plan.client.servers_key, plan.name, plan.entry, plan.inputs)
    if action == "unchanged":
        return InstallResult(plan, action, None)
    backup: Path | None = None
    try:
        plan.path.parent.mkdir(parents=True, exist_ok=True)
        if old_text is not None:
            backup = _backup_path(plan.path, now or datetime.now(UTC))
            shutil.copy2(plan.path, backup)
        tmp = plan.path.with_name(f".{plan.path.name}.mcpgen-tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(merged, indent=2, ensure_ascii=False) + "\n")
        if old_text is not None:
            shutil.copymode(plan.path, tmp)
        os.replace(tmp, plan.path)
    except OSError as exc:
        raise ClientConfigError(f"cannot write {plan.path}: {exc}", path=plan.path) from exc
    return InstallResult(plan, action, backup)


# --- the workspace's side: what to launch ---------------------------------------------------------


def _auth_needs_token(auth: Any) -> bool:
    """Inbound auth a client must send a bearer for (OAuth servers are signed into by the client itself)."""
    if auth.oauth.resource:
        return False
    return bool(auth.api_keys or auth.jwt.jwks_url or auth.jwt.public_key is not None)


def workspace_launch(
    workspace: Path,
    transport: Transport,
    *,
    name: str | None = None,
    url: str | None = None,
    env: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    token_env: str = DEFAULT_TOKEN_ENV,
    config_env: str | None = None,
    environ: Mapping[str, str] | None = None,
    command: Callable[[], str] = mcpgen_command,
) -> tuple[Launch, list[str]]:
    """How a client reaches the server of ``workspace``, and notes for the user.

    stdio: the absolute mcpgen executable with ``serve WS --transport stdio``. HTTP: ``url``
    (default: the config's ``server.host``/``server.port`` and ``/mcp``), with a bearer header
    referring to ``token_env`` when the config turns on API keys or JWT.
    """
    from mcpgen.config import load_config
    from mcpgen.workflows.configure import inject_stored_secrets
    from mcpgen.workflows.project import load_project

    project = load_project(workspace)
    root = project.root.resolve()
    server_name = name or project.file.name
    notes: list[str] = []
    if transport == "stdio":
        args = ["serve", str(root), "--transport", "stdio"]
        if config_env:
            args += ["--env", config_env]
        executable = command()
        if any(part.startswith("archive-v") for part in Path(executable).parts):  # uvx's cached env
            notes.append(
                f"{executable} is in uv's cache (uvx): install mcpgen with `uv tool install 'mcpgen[cli]'` "
                "or pipx so the client's command keeps working"
            )
        return Launch(server_name, "stdio", command=executable, args=tuple(args), env=dict(env or {})), notes
    if transport != "http":
        raise UsageError(f"--transport must be stdio or http, not {transport!r}")
    if not _ENV_NAME.match(token_env):
        raise UsageError(f"--token-env {token_env!r} is not an environment variable name")
    scratch = dict(os.environ if environ is None else environ)
    inject_stored_secrets(project.state_dir, scratch)  # config may refer to stored secrets
    config = load_config(root, env=config_env, environ=scratch).config
    if url is None:
        host = config.server.host
        host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        host = f"[{host}]" if ":" in host else host
        url = f"http://{host}:{config.server.port}/mcp"
        notes.append(f"start the server with `mcpgen serve {root}` (it must be running at {url})")
    auth = config.server.auth
    needs_token = _auth_needs_token(auth)
    if needs_token:
        notes.append(
            f"the server requires auth: the entry's Authorization header takes the key from ${token_env} "
            "(VS Code prompts for it once); make one with `mcpgen keys create NAME --role ROLE`"
        )
    elif auth.oauth.resource:
        notes.append("the server uses OAuth: the client signs in by itself (no header written)")
    launch = Launch(
        server_name,
        "http",
        url=url,
        headers=dict(headers or {}),
        token_env=token_env if needs_token else None,
        env=dict(env or {}),
    )
    return launch, notes
